using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

public static class AuditPolling
{
    // The trail is written asynchronously, in batches: wait until `count` records are there.
    public static async Task<JsonArray> WaitForRecordsAsync(ApiClient api, string key, string model, int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        JsonArray last = [];
        while (DateTime.UtcNow < until)
        {
            var (status, body) = await api.SendJsonAsync(HttpMethod.Get, $"/v1/audit?model={model}", key, null);
            if (status == HttpStatusCode.OK && body is JsonArray records)
            {
                last = records;
                if (records.Count >= count) return records;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Expected {count} audit records for {model}, saw {last.Count}.");
    }
}

[Collection(InferenceGridCollection.Name)]
public class AuditTrailSpecs(InferenceGridFixture grid)
{
    [Fact]
    public async Task Should_record_every_inference_of_a_burst_completely_and_chained()
    {
        var onnx = TestModels.Elementwise();
        await grid.Api.UploadOkAsync(grid.AcmeKey, "audited", onnx);
        var inputs = Enumerable.Range(0, 20).Select(i => new float[] { i, i + 1, i + 2, i + 3 }).ToList();

        var replies = await Task.WhenAll(inputs.Select(x => grid.Api.InferAsync(grid.AcmeKey, "audited", Request("x", [1, 4], x, slaMs: 10_000))));
        Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.Status));

        var records = await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "audited", 20, TimeSpan.FromSeconds(15));
        Assert.Equal(20, records.Count);
        var byAuditId = records.ToDictionary(r => r!["auditId"]!.GetValue<string>());
        for (var i = 0; i < 20; i++)
        {
            var record = byAuditId[replies[i].Body!["auditId"]!.GetValue<string>()]!;
            Assert.Equal(("audited", 1, Sha256(onnx)), (record["model"]!.GetValue<string>(), record["modelVersion"]!.GetValue<int>(), record["modelSha256"]!.GetValue<string>()));
            Assert.Equal(replies[i].Body!["node"]!.GetValue<string>(), record["node"]!.GetValue<string>());
            Assert.Equal("edge", record["tier"]!.GetValue<string>());
            Assert.Equal(("ok", 200), (record["outcome"]!.GetValue<string>(), record["status"]!.GetValue<int>()));
            Assert.Equal(InputDigest("x", [1, 4], inputs[i]), record["inputSha256"]!.GetValue<string>());
            var outputs = inputs[i].Select(v => v * 2 + 1).ToArray();
            Assert.Equal(InputDigest("y", [1, 4], outputs), record["outputSha256"]!.GetValue<string>());
            Assert.True(record["latencyMs"]!.GetValue<double>() >= record["computeMs"]!.GetValue<double>());
            Assert.True(record["computeMs"]!.GetValue<double>() > 0);
            Assert.True(record["queueMs"]!.GetValue<double>() >= 0);
            Assert.Equal(64, record["hash"]!.GetValue<string>().Length);
            // The routing decision the client was told is the one the trail keeps (and hashes).
            Assert.Equal(replies[i].Body!["route"]!.GetValue<string>(), record["route"]!.GetValue<string>());
            Assert.StartsWith(replies[i].Body!["node"]!.GetValue<string>() + " (edge) estimated", record["route"]!.GetValue<string>());
            Assert.False(record["offloaded"]!.GetValue<bool>());
        }

        var (_, verify) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/verify", grid.AcmeKey, null);
        Assert.True(verify!["valid"]!.GetValue<bool>(), verify.ToJsonString());

        using var csvRequest = ApiClient.Request(HttpMethod.Get, "/v1/audit?model=audited&format=csv", grid.AcmeKey);
        using var csv = await grid.Api.Http.SendAsync(csvRequest);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("seq,auditId,requestId,model,modelVersion", lines[0]);
        Assert.EndsWith(",prevHash,hash,route,offloaded", lines[0]);
        Assert.EndsWith(",false", lines[1]);
        Assert.Equal(21, lines.Length);

        using var jsonlRequest = ApiClient.Request(HttpMethod.Get, "/v1/audit?model=audited&format=jsonl", grid.AcmeKey);
        using var jsonl = await grid.Api.Http.SendAsync(jsonlRequest);
        var jsonLines = (await jsonl.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal(20, jsonLines.Length);
        Assert.All(jsonLines, l => Assert.Equal("audited", JsonNode.Parse(l)!["model"]!.GetValue<string>()));
        Assert.All(jsonLines, l => Assert.Contains("estimated", JsonNode.Parse(l)!["route"]!.GetValue<string>()));

        // Another tenant sees none of it.
        var (_, other) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit?model=audited", grid.GlobexKey, null);
        Assert.Empty(other!.AsArray());
    }

    [Fact]
    public async Task Should_let_a_tenant_set_its_own_retention_and_refuse_anything_but_1_to_3650_days()
    {
        var (_, before) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/retention", grid.GlobexKey, null);
        Assert.Equal((365.0, "default"), (before!["days"]!.GetValue<double>(), before["source"]!.GetValue<string>()));

        foreach (var bad in new[] { """{"days":0}""", """{"days":3651}""", """{"days":1.5}""", """{"days":"30"}""", "{}", """{"days":30,"tenant":"acme"}""" })
        {
            using var request = ApiClient.Request(HttpMethod.Put, "/v1/audit/retention", grid.GlobexKey);
            request.Content = new StringContent(bad, System.Text.Encoding.UTF8, "application/json");
            var (status, problem) = await grid.Api.SendAsync(request);
            Assert.True(status == HttpStatusCode.BadRequest, $"{bad} -> {status}");
            Assert.Contains(bad.Contains("tenant") ? "tenant" : "days", problem!.ToJsonString(), StringComparison.Ordinal);
        }
        var (_, unchanged) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/retention", grid.GlobexKey, null);
        Assert.Equal("default", unchanged!["source"]!.GetValue<string>());

        var (set, body) = await grid.Api.SendJsonAsync(HttpMethod.Put, "/v1/audit/retention", grid.GlobexKey, new JsonObject { ["days"] = 30 });
        Assert.Equal(HttpStatusCode.OK, set);
        Assert.Equal((30.0, "tenant"), (body!["days"]!.GetValue<double>(), body["source"]!.GetValue<string>()));
        var (_, after) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/retention", grid.GlobexKey, null);
        Assert.Equal((30.0, "tenant"), (after!["days"]!.GetValue<double>(), after["source"]!.GetValue<string>()));

        // Only globex's own setting changed.
        var (_, acme) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/retention", grid.AcmeKey, null);
        Assert.Equal("default", acme!["source"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await grid.Api.SendJsonAsync(HttpMethod.Put, "/v1/audit/retention", null, new JsonObject { ["days"] = 5 })).Status);

        // The gateway describes the endpoint in its OpenAPI document.
        var (_, openapi) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/openapi/v1.json", null, null);
        Assert.NotNull(openapi!["paths"]!["/v1/audit/retention"]!["put"]);
    }

    [Fact]
    public async Task Should_filter_by_time()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "timed", TestModels.Elementwise());
        Assert.Equal(HttpStatusCode.OK, (await grid.Api.InferAsync(grid.AcmeKey, "timed", Request("x", [1, 4], [1, 2, 3, 4]))).Status);
        await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "timed", 1, TimeSpan.FromSeconds(15));

        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var past = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var (_, none) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/audit?model=timed&from={future}", grid.AcmeKey, null);
        var (_, all) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/audit?model=timed&from={past}&to={future}", grid.AcmeKey, null);
        Assert.Empty(none!.AsArray());
        Assert.Single(all!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit?from=yesterday", grid.AcmeKey, null)).Status);
    }
}

// A graceful shutdown right after a burst loses no audit record, and the chain continues
// unbroken after the restart.
public class AuditRestartSpecs
{
    private const string Token = "audit-restart-token";

    [Fact]
    public async Task Should_keep_every_record_across_a_graceful_restart_and_continue_the_chain()
    {
        using var dir = TestDirectory.Create("audit-restart");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        string[] args = ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", dir.Sub("data")];
        string key;
        List<string> auditIds;
        await using (var first = GridProcess.Start("first", args, Token, dir.Path))
        {
            await first.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            using var api = new ApiClient(first.HttpBase);
            key = await api.CreateTenantAsync(Token, "acme", []);
            await api.UploadOkAsync(key, "gauge", TestModels.Elementwise());
            var replies = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => api.InferAsync(key, "gauge", Request("x", [1, 4], [i, i, i, i], slaMs: 10_000))));
            Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.Status));
            auditIds = [.. replies.Select(r => r.Body!["auditId"]!.GetValue<string>())];
            Assert.True(await first.StopAsync(TimeSpan.FromSeconds(60)), "the grid did not stop gracefully");
        }

        await using var second = GridProcess.Start("second", args, Token, dir.Path);
        await second.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var again = new ApiClient(second.HttpBase);
        var (_, stored) = await again.SendJsonAsync(HttpMethod.Get, "/v1/audit?model=gauge", key, null);
        Assert.Equal(auditIds.Order(), stored!.AsArray().Select(r => r!["auditId"]!.GetValue<string>()).Order());

        Assert.Equal(HttpStatusCode.OK, (await again.InferAsync(key, "gauge", Request("x", [1, 4], [9, 9, 9, 9], slaMs: 10_000))).Status);
        var records = await AuditPolling.WaitForRecordsAsync(again, key, "gauge", 31, TimeSpan.FromSeconds(15));
        Assert.Equal(Enumerable.Range(1, 31).Select(i => (long)i), records.Select(r => r!["seq"]!.GetValue<long>()));
        Assert.Equal(records[29]!["hash"]!.GetValue<string>(), records[30]!["prevHash"]!.GetValue<string>());
        var (_, verify) = await again.SendJsonAsync(HttpMethod.Get, "/v1/audit/verify", key, null);
        Assert.True(verify!["valid"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.Equal(31, verify["records"]!.GetValue<int>());
    }
}
