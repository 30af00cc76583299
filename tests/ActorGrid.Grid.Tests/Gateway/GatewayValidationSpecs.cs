using System.Net;
using System.Text;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Gateway;

// A catalogue of bad submissions: each gets a 4xx problem detail, and none leaves a task behind.
[Collection(EmbeddedGridCollection.Name)]
public class GatewayValidationSpecs(EmbeddedGridFixture grid)
{
    public static TheoryData<string, string, int> BadBodies => new()
    {
        { "malformed JSON", """{"command": ["sh", """, 400 },
        { "JSON null", "null", 400 },
        { "an array, not an object", "[]", 400 },
        { "command as a string", """{"command": "echo hi"}""", 400 },
        { "timeout as a string", """{"command": ["sh"], "timeoutSeconds": "ten"}""", 400 },
        { "negative cpu", """{"command": ["sh"], "requirements": {"cpu": -1, "memoryMiB": 64}}""", 400 },
        { "zero memory", """{"command": ["sh"], "requirements": {"cpu": 1, "memoryMiB": 0}}""", 400 },
        { "absurd memory", """{"command": ["sh"], "requirements": {"cpu": 1, "memoryMiB": 999999999999}}""", 400 },
        { "cpu above the tenant quota", """{"command": ["sh"], "requirements": {"cpu": 4000, "memoryMiB": 64}}""", 400 },
        { "chips with count zero", """{"command": ["sh"], "requirements": {"cpu": 1, "memoryMiB": 64, "chips": {"model": "nvidia-l4", "count": 0}}}""", 400 },
        { "empty command", """{"command": []}""", 400 },
        { "blank executable", """{"command": [""]}""", 400 },
        { "unknown lane", """{"command": ["sh"], "lane": "urgent"}""", 400 },
        { "unknown kind", """{"kind": "quantum", "command": ["sh"]}""", 400 },
        { "misspelled field", """{"comand": ["sh"]}""", 400 },
        { "zero attempts", """{"command": ["sh"], "maxAttempts": 0}""", 400 },
        { "timeout beyond a week", """{"command": ["sh"], "timeoutSeconds": 99999999}""", 400 },
        { "relative working directory", """{"command": ["sh"], "workingDirectory": "../etc"}""", 400 },
        { "bad env name", """{"command": ["sh"], "env": {"A=B": "x"}}""", 400 },
        { "empty body", "", 400 },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Should_refuse_a_bad_body_with_a_problem_and_persist_nothing(string why, string body, int expected)
    {
        var key = await TenantAsync();
        var request = ApiClient.Request(HttpMethod.Post, "/v1/tasks", key);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var (status, problem) = await grid.Api.SendAsync(request);

        Assert.True((int)status == expected, $"{why}: expected {expected}, got {(int)status} {problem?.ToJsonString()}");
        Assert.Equal(expected, problem!["status"]!.GetValue<int>());
        Assert.True(problem["detail"] is not null || problem["errors"] is not null, $"{why}: no detail in {problem.ToJsonString()}");
        await AssertNoTasksAsync(key);
    }

    [Fact]
    public async Task Should_refuse_an_oversize_body_with_413()
    {
        var key = await TenantAsync();
        var huge = "{\"command\":[\"sh\",\"-c\",\"" + new string('x', 400_000) + "\"]}";
        var request = ApiClient.Request(HttpMethod.Post, "/v1/tasks", key);
        request.Content = new StringContent(huge, Encoding.UTF8, "application/json");
        var (status, problem) = await grid.Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("at most", problem!["detail"]!.GetValue<string>());
        await AssertNoTasksAsync(key);
    }

    [Fact]
    public async Task Should_refuse_a_body_that_is_not_json()
    {
        var key = await TenantAsync();
        var request = ApiClient.Request(HttpMethod.Post, "/v1/tasks", key);
        request.Content = new StringContent("command=sh", Encoding.UTF8, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await grid.Api.SendAsync(request)).Status);
        await AssertNoTasksAsync(key);
    }

    [Fact]
    public async Task Should_refuse_zones_the_tenant_may_not_use()
    {
        var key = await grid.Api.CreateTenantAsync(EmbeddedGridFixture.AdminToken, "zoned-" + Guid.NewGuid().ToString("n")[..8], ["CN-ZJ"]);
        var body = Tasks.Shell("echo hi");
        body["zones"] = new System.Text.Json.Nodes.JsonArray("EU-DE");
        var (status, problem) = await grid.Api.SubmitTaskAsync(key, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("EU-DE", problem!["errors"]!["zones"]![0]!.GetValue<string>());
        await AssertNoTasksAsync(key);
    }

    [Fact]
    public async Task Should_refuse_a_task_that_could_take_the_tenant_past_its_budget()
    {
        var id = "budget-" + Guid.NewGuid().ToString("n")[..8];
        var create = new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = id, ["name"] = "Tight budget",
            ["quota"] = new System.Text.Json.Nodes.JsonObject { ["maxCpu"] = 4, ["maxChips"] = 0, ["budget"] = 1.5 },
        };
        var created = await grid.Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", EmbeddedGridFixture.AdminToken, create);
        var key = created.Body!["apiKey"]!.GetValue<string>();

        var pricey = Tasks.Shell("echo hi");
        pricey["maxPricePerHour"] = 2;
        pricey["expectedDurationSeconds"] = 3600;
        var (status, problem) = await grid.Api.SubmitTaskAsync(key, pricey);
        Assert.Equal((HttpStatusCode)402, status);
        Assert.Contains("budget 1.5", problem!["detail"]!.GetValue<string>());
        await AssertNoTasksAsync(key);

        pricey["expectedDurationSeconds"] = 1800; // 2/h for half an hour = 1.0, within 1.5
        Assert.Equal(HttpStatusCode.Accepted, (await grid.Api.SubmitTaskAsync(key, pricey)).Status);
    }

    [Fact]
    public async Task Should_refuse_unknown_filters_when_listing()
    {
        var (status, _) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks?state=exploded", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    private async Task<string> TenantAsync() =>
        await grid.Api.CreateTenantAsync(EmbeddedGridFixture.AdminToken, "val-" + Guid.NewGuid().ToString("n")[..10], []);

    private async Task AssertNoTasksAsync(string key)
    {
        var (status, list) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", key, null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(list!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/healthz", null, null)).Status);
    }
}
