using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Gateway;

[Collection(EmbeddedGridCollection.Name)]
public class GatewayAuthSpecs(EmbeddedGridFixture grid)
{
    private ApiClient Api => grid.Api;

    [Theory]
    [InlineData(null)]
    [InlineData("agk_acme_0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("not-a-key")]
    [InlineData(EmbeddedGridFixture.AdminToken)]
    public async Task Should_refuse_task_calls_without_a_valid_tenant_key(string? key)
    {
        var (status, body) = await Api.SubmitTaskAsync(key!, Tasks.Shell("echo hi"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, body!["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", key, null)).Status);
    }

    [Theory]
    [InlineData("GET", "/v1/nodes")]
    [InlineData("GET", "/v1/cluster")]
    [InlineData("POST", "/v1/tenants")]
    public async Task Should_refuse_operator_calls_with_a_tenant_key(string method, string path)
    {
        var body = method == "POST" ? new JsonObject { ["id"] = "sneaky", ["name"] = "x" } : null;
        var (status, _) = await Api.SendJsonAsync(new HttpMethod(method), path, grid.AcmeKey, body);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Should_hide_one_tenants_task_from_another()
    {
        var (status, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("echo mine"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = Tasks.Id(accepted);

        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{id}", grid.GlobexKey, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{id}", grid.GlobexKey, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{id}/events", grid.GlobexKey, null)).Status);
        var globexList = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", grid.GlobexKey, null)).Body!.AsArray();
        Assert.DoesNotContain(globexList, t => t!["id"]!.GetValue<string>() == id);

        var task = await Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", Tasks.State(task));
    }

    [Fact]
    public async Task Should_answer_not_found_for_unknown_or_malformed_task_ids()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks/t-0000000000000000", grid.AcmeKey, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks/..%2F..%2Fetc", grid.AcmeKey, null)).Status);
    }

    [Fact]
    public async Task Should_show_the_operator_the_cluster_and_the_local_node()
    {
        var (status, cluster) = await Api.SendJsonAsync(HttpMethod.Get, "/v1/cluster", EmbeddedGridFixture.AdminToken, null);
        Assert.Equal(HttpStatusCode.OK, status);
        var member = Assert.Single(cluster!["members"]!.AsArray());
        Assert.Equal("up", member!["status"]!.GetValue<string>());
        Assert.Equal(["core", "gateway", "worker"], member["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(cluster["self"]!.GetValue<string>(), cluster["leader"]!.GetValue<string>());

        var nodes = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", EmbeddedGridFixture.AdminToken, null)).Body!.AsArray();
        var node = Assert.Single(nodes);
        Assert.Equal("ready", node!["state"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, node["descriptor"]!["cpu"]!.GetValue<double>());
        Assert.Equal(node["id"]!.GetValue<string>(), node["descriptor"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_refuse_a_duplicate_or_invalid_tenant()
    {
        var duplicate = await Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", EmbeddedGridFixture.AdminToken, new JsonObject { ["id"] = "acme", ["name"] = "again" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
        var invalid = await Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", EmbeddedGridFixture.AdminToken, new JsonObject { ["id"] = "../Root", ["name"] = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.NotNull(invalid.Body!["errors"]!["id"]);
    }

    [Fact]
    public async Task Should_serve_health_readiness_and_an_openapi_document()
    {
        Assert.Equal(HttpStatusCode.OK, (await Api.SendJsonAsync(HttpMethod.Get, "/healthz", null, null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Api.SendJsonAsync(HttpMethod.Get, "/readyz", null, null)).Status);
        var openApi = await Api.Http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/tasks/{id}/events", openApi);
        Assert.Contains("/v1/tenants", openApi);
    }
}
