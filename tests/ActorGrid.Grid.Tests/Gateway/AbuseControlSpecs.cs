using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Protocol;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Gateway;

// Abuse controls over real HTTP on an embedded grid: per-tenant submission rates, the cap on
// unfinished tasks, operator-set limits, idempotency key reuse and the metrics token.
[Collection(AbuseGridCollection.Name)]
public sealed class AbuseControlSpecs(AbuseGridFixture grid, ITestOutputHelper output)
{
    private const string Operator = AbuseGridFixture.AdminToken;
    private ApiClient Api => grid.Api;

    // Stays queued: no node of the embedded grid has this chip.
    private static JsonObject Unplaceable(string? key = null)
    {
        var body = Tasks.Shell("true", key: key);
        body["requirements"]!["chips"] = new JsonObject { ["model"] = "no-such-chip", ["count"] = 1 };
        return body;
    }

    private async Task<string> CreateTenantAsync(string id, JsonObject? limits)
    {
        var body = new JsonObject { ["id"] = id, ["name"] = id };
        if (limits is not null) body["limits"] = limits;
        var (status, json) = await Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", Operator, body);
        Assert.True(status == HttpStatusCode.Created, $"POST /v1/tenants: {(int)status} {json?.ToJsonString()}");
        return json!["apiKey"]!.GetValue<string>();
    }

    private static JsonObject Limits(int perSecond, int burst, int maxQueued) =>
        new() { ["submitPerSecond"] = perSecond, ["burst"] = burst, ["maxQueued"] = maxQueued };

    private sealed record Answer(HttpStatusCode Status, string? RetryAfter, JsonNode? Body);

    private async Task<Answer> SubmitAsync(string key, JsonObject body)
    {
        using var request = ApiClient.Request(HttpMethod.Post, "/v1/tasks", key);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new(response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private Task<Answer[]> FireAsync(string key, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => SubmitAsync(key, Unplaceable()))));

    [Fact]
    public async Task Should_answer_a_flooding_tenant_429_with_Retry_After_while_another_tenant_submitting_at_once_gets_202()
    {
        var floodKey = await CreateTenantAsync("flood", Limits(20, 20, 10_000));
        var calmKey = await CreateTenantAsync("calm", null);

        var started = DateTime.UtcNow;
        var flood = FireAsync(floodKey, 200);
        var calm = FireAsync(calmKey, 40);
        var (floods, calms) = (await flood, await calm);
        var seconds = (DateTime.UtcNow - started).TotalSeconds;

        var accepted = floods.Count(a => a.Status == HttpStatusCode.Accepted);
        var limited = floods.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        output.WriteLine($"flood (20/s, burst 20): {floods.Length} sent in {seconds:0.00} s, {accepted} x 202, {limited.Count} x 429, " +
                         $"other: {string.Join(",", floods.Where(a => a.Status is not (HttpStatusCode.Accepted or HttpStatusCode.TooManyRequests)).Select(a => (int)a.Status))}");
        output.WriteLine($"calm (defaults): {calms.Length} sent, {calms.Count(a => a.Status == HttpStatusCode.Accepted)} x 202");
        output.WriteLine($"a 429: Retry-After {limited.FirstOrDefault()?.RetryAfter} s, {limited.FirstOrDefault()?.Body?.ToJsonString()}");

        Assert.All(calms, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));
        Assert.Equal(floods.Length, accepted + limited.Count);
        // The burst, plus what the bucket refilled while the flood was being sent.
        Assert.InRange(accepted, 20, 20 + 20 * (int)Math.Ceiling(seconds));
        Assert.NotEmpty(limited);
        Assert.All(limited, a =>
        {
            Assert.True(int.TryParse(a.RetryAfter, out var wait) && wait >= 1, $"Retry-After was '{a.RetryAfter}'");
            Assert.Equal(429, a.Body!["status"]!.GetValue<int>());
            Assert.Equal("submitPerSecond", a.Body["limit"]!.GetValue<string>());
            Assert.Contains("20 tasks per second", a.Body["detail"]!.GetValue<string>());
            Assert.Contains("Retry after", a.Body["detail"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task Should_refuse_the_task_over_max_queued_with_429_and_persist_nothing_for_it()
    {
        const int cap = 3;
        var key = await CreateTenantAsync("capped", Limits(50, 50, cap));
        var ids = new List<string>();
        for (var i = 0; i < cap; i++)
        {
            var answer = await SubmitAsync(key, Unplaceable());
            Assert.Equal(HttpStatusCode.Accepted, answer.Status);
            ids.Add(Tasks.Id(answer.Body));
        }

        var over = await SubmitAsync(key, Unplaceable(key: "one-too-many"));
        output.WriteLine($"task {cap + 1} of a tenant with maxQueued {cap}: {(int)over.Status} {over.Body?.ToJsonString()}");
        Assert.Equal(HttpStatusCode.TooManyRequests, over.Status);
        Assert.Equal("maxQueued", over.Body!["limit"]!.GetValue<string>());
        Assert.Contains($"maxQueued is {cap}", over.Body["detail"]!.GetValue<string>());

        var refusedId = TaskId.FromIdempotencyKey(new TenantId("capped"), "one-too-many").Value;
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{refusedId}", key, null)).Status);
        var listed = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", key, null)).Body!.AsArray();
        Assert.Equal(ids.Order(), listed.Select(t => t!["id"]!.GetValue<string>()).Order());
        var tenant = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tenants/capped", Operator, null)).Body!;
        Assert.Equal(cap, tenant["taskCount"]!.GetValue<int>());
        Assert.Equal(cap, tenant["unfinished"]!.GetValue<int>());

        // A finished task frees its slot: cancel one and the refused submission goes through.
        Assert.Equal(HttpStatusCode.Accepted, (await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{ids[0]}", key, null)).Status);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Answer retried;
        do
        {
            await Task.Delay(200);
            retried = await SubmitAsync(key, Unplaceable(key: "one-too-many"));
        } while (retried.Status == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Accepted, retried.Status);
        Assert.Equal(refusedId, Tasks.Id(retried.Body));
    }

    // 2,000 submissions at once, 64 connections, from a tenant whose budget covers 120 of them: each
    // task may cost 0.5 (1/h for 30 min). Exactly 120 are admitted, however the requests interleave,
    // and the tenant's listing holds exactly those; the rest are 402 and leave nothing behind.
    [Fact]
    public async Task Should_admit_exactly_what_the_budget_covers_from_a_burst_of_2000_submissions()
    {
        const int covered = 120;
        var body = new JsonObject
        {
            ["id"] = "budget-burst", ["name"] = "budget-burst", ["limits"] = Limits(10_000, 10_000, 10_000),
            ["quota"] = new JsonObject { ["maxCpu"] = 4, ["maxChips"] = 1, ["budget"] = covered * 0.5 },
        };
        var (created, json) = await Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", Operator, body);
        Assert.True(created == HttpStatusCode.Created, json?.ToJsonString());
        var key = json!["apiKey"]!.GetValue<string>();

        using var connections = new SemaphoreSlim(64);
        var started = DateTime.UtcNow;
        var answers = await Task.WhenAll(Enumerable.Range(0, 2_000).Select(async _ =>
        {
            await connections.WaitAsync();
            try
            {
                return await SubmitAsync(key, HalfAnHourAtOnePerHour());
            }
            finally { connections.Release(); }
        }));
        var admitted = answers.Where(a => a.Status == HttpStatusCode.Accepted).Select(a => a.Body!["id"]!.GetValue<string>()).ToList();
        var overBudget = answers.Where(a => (int)a.Status == 402).ToList();
        output.WriteLine($"2,000 submissions in {(DateTime.UtcNow - started).TotalSeconds:0.0} s: {admitted.Count} x 202, {overBudget.Count} x 402, " +
                         $"other: {string.Join(", ", answers.Where(a => a.Status != HttpStatusCode.Accepted && (int)a.Status != 402).GroupBy(a => (int)a.Status).Select(g => $"{g.Count()} x {g.Key} {g.First().Body?.ToJsonString()}"))}; " +
                         $"a 402: {overBudget.FirstOrDefault()?.Body?["detail"]}");
        Assert.Equal(covered, admitted.Count);
        Assert.Equal(2_000 - covered, overBudget.Count);
        Assert.Contains("budget 60", overBudget[0].Body!["detail"]!.GetValue<string>());

        var (_, tenant) = await Api.SendJsonAsync(HttpMethod.Get, "/v1/tenants/budget-burst", Operator, null);
        Assert.Equal(covered * 0.5m, tenant!["reserved"]!.GetValue<decimal>());
        var (listed, list) = await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks?limit=500", key, null);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal(admitted.Order(), list!.AsArray().Select(t => t!["id"]!.GetValue<string>()).Order());

        // Cancelled tasks give their hold back: the next submission is admitted again.
        foreach (var id in admitted.Take(2))
            Assert.Equal(HttpStatusCode.Accepted, (await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{id}", key, null)).Status);
        var again = HalfAnHourAtOnePerHour();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Answer retry;
        while ((retry = await SubmitAsync(key, again)).Status != HttpStatusCode.Accepted && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(HttpStatusCode.Accepted, retry.Status);
        foreach (var id in admitted.Skip(2).Append(retry.Body!["id"]!.GetValue<string>()))
            await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{id}", key, null);
    }

    private static JsonObject HalfAnHourAtOnePerHour()
    {
        var task = Unplaceable();
        task["maxPricePerHour"] = 1;
        task["expectedDurationSeconds"] = 1800;
        task["timeoutSeconds"] = 3600;
        return task;
    }

    [Fact]
    public async Task Should_apply_limits_an_operator_changes_to_the_next_submissions()
    {
        var key = await CreateTenantAsync("tuned", null);
        var shown = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tenants/tuned", Operator, null)).Body!;
        Assert.Equal(200, shown["limits"]!["submitPerSecond"]!.GetValue<int>());
        Assert.Equal(400, shown["limits"]!["burst"]!.GetValue<int>());
        Assert.Equal(10_000, shown["limits"]!["maxQueued"]!.GetValue<int>());

        var (status, changed) = await Api.SendJsonAsync(HttpMethod.Put, "/v1/tenants/tuned/limits", Operator, Limits(5, 5, 10_000));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, changed!["limits"]!["burst"]!.GetValue<int>());
        var slow = await FireAsync(key, 30);
        var slowAccepted = slow.Count(a => a.Status == HttpStatusCode.Accepted);

        // Only the rate is given: burst and maxQueued stay as they are.
        (status, changed) = await Api.SendJsonAsync(HttpMethod.Put, "/v1/tenants/tuned/limits", Operator, new JsonObject { ["burst"] = 100 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, changed!["limits"]!["submitPerSecond"]!.GetValue<int>());
        Assert.Equal(100, changed["limits"]!["burst"]!.GetValue<int>());
        var fast = await FireAsync(key, 30);
        var fastAccepted = fast.Count(a => a.Status == HttpStatusCode.Accepted);

        output.WriteLine($"limit 5/s burst 5: {slowAccepted} of 30 accepted; after PUT burst 100: {fastAccepted} of 30 accepted");
        Assert.InRange(slowAccepted, 5, 15);
        Assert.Equal(30, fastAccepted);
        Assert.Equal(100, (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tenants/tuned", Operator, null)).Body!["limits"]!["burst"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("{}", "limits")]
    [InlineData("""{"submitPerSecond":0}""", "submitPerSecond")]
    [InlineData("""{"burst":-1}""", "burst")]
    [InlineData("""{"maxQueued":0}""", "maxQueued")]
    [InlineData("""{"submitPerSecond":1000000,"burst":1000000}""", "submitPerSecond")]
    [InlineData("""{"maxQueued":2000000000}""", "maxQueued")]
    [InlineData("""{"submitPerSecond":50,"burst":10}""", "burst")]
    [InlineData("""{"submitPerSecond":"fast"}""", null)]
    [InlineData("""{"burst":1.5}""", null)]
    [InlineData("""{"burst":99999999999}""", null)]
    [InlineData("""{"rate":5}""", null)]
    public async Task Should_refuse_bad_limits_with_a_400_problem_that_says_what_to_fix(string json, string? field)
    {
        await CreateTenantIfMissingAsync("limited");
        using var request = ApiClient.Request(HttpMethod.Put, "/v1/tenants/limited/limits", Operator);
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var (status, problem) = await Api.SendAsync(request);
        output.WriteLine($"{json} -> {(int)status} {problem?.ToJsonString()}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrWhiteSpace(problem!["detail"]?.GetValue<string>()));
        if (field is not null) Assert.False(string.IsNullOrWhiteSpace(problem["errors"]![field]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task Should_refuse_bad_limits_at_creation_and_limits_of_an_unknown_tenant()
    {
        var (status, problem) = await Api.SendJsonAsync(HttpMethod.Post, "/v1/tenants", Operator,
            new JsonObject { ["id"] = "absurd", ["name"] = "absurd", ["limits"] = Limits(0, 1, 1) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotNull(problem!["errors"]!["limits.submitPerSecond"]);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tenants/absurd", Operator, null)).Status);

        var (unknown, notFound) = await Api.SendJsonAsync(HttpMethod.Put, "/v1/tenants/nobody-here/limits", Operator, Limits(5, 5, 5));
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("nobody-here", notFound!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Api.SendJsonAsync(HttpMethod.Put, "/v1/tenants/acme/limits", grid.AcmeKey, Limits(5, 5, 5))).Status);
    }

    [Fact]
    public async Task Should_answer_409_when_an_idempotency_key_is_reused_with_a_different_body_and_the_task_for_the_same_body()
    {
        var first = await SubmitAsync(grid.AcmeKey, Tasks.Shell("echo first", key: "reused-key"));
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        var id = Tasks.Id(first.Body);

        // The same request, its fields in another order: a retry.
        var reordered = new JsonObject(Tasks.Shell("echo first", key: "reused-key").Reverse()
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var replay = await SubmitAsync(grid.AcmeKey, reordered);
        Assert.Equal(HttpStatusCode.Accepted, replay.Status);
        Assert.Equal(id, Tasks.Id(replay.Body));

        var other = await SubmitAsync(grid.AcmeKey, Tasks.Shell("echo something else", key: "reused-key"));
        output.WriteLine($"same key, other body: {(int)other.Status} {other.Body?.ToJsonString()}");
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
        Assert.Contains("already used for a different request", other.Body!["detail"]!.GetValue<string>());

        var task = await Api.GetTaskAsync(grid.AcmeKey, id);
        Assert.Equal("echo first", task["command"]![2]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_want_the_operator_token_for_metrics_when_metrics_require_token_is_on()
    {
        using var anonymous = ApiClient.Request(HttpMethod.Get, "/metrics", null);
        var (anonymousStatus, problem) = await Api.SendAsync(anonymous);
        using var tenant = ApiClient.Request(HttpMethod.Get, "/metrics", grid.AcmeKey);
        var (tenantStatus, _) = await Api.SendAsync(tenant);
        using var scrape = ApiClient.Request(HttpMethod.Get, "/metrics", Operator);
        using var response = await Api.Http.SendAsync(scrape);
        var text = await response.Content.ReadAsStringAsync();
        output.WriteLine($"/metrics: anonymous {(int)anonymousStatus}, tenant key {(int)tenantStatus}, operator token {(int)response.StatusCode} ({text.Length} bytes)");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymousStatus);
        Assert.Contains("operator token", problem!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, tenantStatus);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("actorgrid_", text);
    }

    private async Task CreateTenantIfMissingAsync(string id)
    {
        if ((await Api.SendJsonAsync(HttpMethod.Get, $"/v1/tenants/{id}", Operator, null)).Status == HttpStatusCode.NotFound)
            await CreateTenantAsync(id, null);
    }
}
