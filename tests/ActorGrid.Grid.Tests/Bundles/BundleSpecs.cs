using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Bundles;

// Bundles end to end on a real embedded grid: uploads through HTTP, tasks that run scripts from
// them in the real sandbox, the worker's fetch, hash check, cache and safe unpacking.
[Collection(BundleGridCollection.Name)]
public class BundleSpecs(BundleGridFixture grid)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private ApiClient Api => grid.Api;

    private static byte[] Tar(bool gzip, params (string Name, string Content)[] files)
    {
        using var bytes = new MemoryStream();
        using (var compressed = gzip ? new GZipStream(bytes, CompressionLevel.Fastest, leaveOpen: true) : (Stream)bytes)
        using (var writer = new TarWriter(compressed, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
        return bytes.ToArray();
    }

    // A bundle whose script prints a token only it holds, so stdout proves the bundle was there.
    private static (byte[] Bytes, string Token) ScriptBundle(bool gzip)
    {
        var token = "bundle-token-" + Guid.NewGuid().ToString("n");
        return (Tar(gzip, ("run.sh", "cat data/message.txt\n"), ("data/message.txt", token)), token);
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private Task<(HttpStatusCode Status, JsonNode? Body)> UploadAsync(string key, byte[] body, string contentType = "application/x-tar")
    {
        var request = ApiClient.Request(HttpMethod.Post, "/v1/bundles", key);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return Api.SendAsync(request);
    }

    private async Task<string> UploadedAsync(string key, byte[] body, string contentType = "application/x-tar")
    {
        var (status, json) = await UploadAsync(key, body, contentType);
        Assert.True(status == HttpStatusCode.Created, $"upload: {(int)status} {json?.ToJsonString()}");
        return json!["sha256"]!.GetValue<string>();
    }

    private static JsonObject WithBundle(string script, string sha, int maxAttempts = 1)
    {
        var body = Tasks.Shell(script, maxAttempts: maxAttempts);
        body["bundle"] = sha;
        return body;
    }

    private async Task<JsonNode> RunAsync(string key, JsonObject body)
    {
        var (status, accepted) = await Api.SubmitTaskAsync(key, body);
        Assert.True(status == HttpStatusCode.Accepted, $"submit: {(int)status} {accepted?.ToJsonString()}");
        return await Api.WaitForStateAsync(key, Tasks.Id(accepted), Tasks.IsTerminal, Long);
    }

    // The first start's note: a later attempt (one lost with its node under load) takes the bundle
    // from the cache the first one filled, which is right, and not what these specs look at.
    private static string StartNote(JsonNode task) =>
        task["history"]!.AsArray().First(h => h!["type"]!.GetValue<string>() == "started")!["bundle"]?.GetValue<string>() ?? "";

    private static string Detail(JsonNode? problem) => problem?["detail"]?.GetValue<string>() ?? problem?.ToJsonString() ?? "";

    [Fact]
    public async Task Should_store_a_tar_and_a_tar_gz_under_their_sha256_once()
    {
        var tar = Tar(false, ("a.txt", Guid.NewGuid().ToString()));
        var gz = Tar(true, ("b.txt", Guid.NewGuid().ToString()));

        var (tarStatus, tarJson) = await UploadAsync(grid.AcmeKey, tar);
        var (gzStatus, gzJson) = await UploadAsync(grid.AcmeKey, gz, "application/gzip");
        var (againStatus, againJson) = await UploadAsync(grid.AcmeKey, tar);

        Assert.Equal(HttpStatusCode.Created, tarStatus);
        Assert.Equal(Sha256(tar), tarJson!["sha256"]!.GetValue<string>());
        Assert.Equal(tar.Length, tarJson["sizeBytes"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Created, gzStatus);
        Assert.Equal(Sha256(gz), gzJson!["sha256"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, againStatus); // the same bytes again: nothing new
        Assert.Equal(Sha256(tar), againJson!["sha256"]!.GetValue<string>());
        var (getStatus, got) = await Api.SendJsonAsync(HttpMethod.Get, $"/v1/bundles/{Sha256(gz)}", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(gz.Length, got!["sizeBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Should_run_a_script_from_its_bundle_in_the_attempts_working_directory()
    {
        var (bytes, token) = ScriptBundle(gzip: true);
        var sha = await UploadedAsync(grid.AcmeKey, bytes, "application/gzip");

        var task = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh", sha));

        Assert.True(Tasks.State(task) == "succeeded", task.ToJsonString());
        Assert.Equal(token, task["stdoutTail"]!.GetValue<string>());
        Assert.Equal(sha, task["bundle"]!.GetValue<string>());
        Assert.True(StartNote(task).Contains("fetched from", StringComparison.Ordinal), task.ToJsonString());
    }

    [Fact]
    public async Task Should_take_a_second_task_with_the_same_bundle_from_the_hosts_cache()
    {
        var (bytes, token) = ScriptBundle(gzip: false);
        var sha = await UploadedAsync(grid.AcmeKey, bytes);

        var first = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh", sha));
        var second = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh && echo again", sha));

        Assert.True(Tasks.State(second) == "succeeded", second.ToJsonString());
        Assert.Equal(token + "again\n", second["stdoutTail"]!.GetValue<string>());
        Assert.Contains("fetched from", StartNote(first));
        Assert.Contains($"bundle {sha[..12]} ({bytes.Length} bytes) from this host's cache", StartNote(second));
    }

    [Fact]
    public async Task Should_fail_an_attempt_whose_bundle_does_not_match_its_hash_and_keep_nothing_of_it()
    {
        var (bytes, token) = ScriptBundle(gzip: false);
        var sha = await UploadedAsync(grid.AcmeKey, bytes);
        // The gateway's disk goes bad under the bundle: same length, different bytes.
        var stored = grid.StoredBundle(sha);
        var corrupt = (byte[])bytes.Clone();
        corrupt[600] ^= 0xff;
        await File.WriteAllBytesAsync(stored, corrupt);

        var failed = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh", sha));

        Assert.Equal("failed", Tasks.State(failed));
        var reason = failed["reason"]!.GetValue<string>();
        Assert.Contains($"bundle {sha}", reason);
        Assert.Contains($"hash to {Sha256(corrupt)}, not {sha}", reason);
        Assert.DoesNotContain("started", failed["history"]!.AsArray().Select(h => h!["type"]!.GetValue<string>()));

        // Repaired, the bundle is fetched again: the bad bytes were never cached.
        await File.WriteAllBytesAsync(stored, bytes);
        var repaired = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh", sha));
        Assert.True(Tasks.State(repaired) == "succeeded", repaired.ToJsonString());
        Assert.Equal(token, repaired["stdoutTail"]!.GetValue<string>());
        Assert.Contains("fetched from", StartNote(repaired));
    }

    [Fact]
    public async Task Should_hide_a_bundle_from_another_tenant_as_if_it_did_not_exist()
    {
        var (bytes, _) = ScriptBundle(gzip: false);
        var sha = await UploadedAsync(grid.AcmeKey, bytes);

        var (ownerGet, _) = await Api.SendJsonAsync(HttpMethod.Get, $"/v1/bundles/{sha}", grid.AcmeKey, null);
        var (otherGet, otherGetBody) = await Api.SendJsonAsync(HttpMethod.Get, $"/v1/bundles/{sha}", grid.GlobexKey, null);
        var (otherSubmit, otherSubmitBody) = await Api.SubmitTaskAsync(grid.GlobexKey, WithBundle("sh run.sh", sha));

        Assert.Equal(HttpStatusCode.OK, ownerGet);
        Assert.Equal(HttpStatusCode.NotFound, otherGet);
        Assert.Contains("does not exist for this tenant", Detail(otherGetBody));
        Assert.Equal(HttpStatusCode.NotFound, otherSubmit);
        Assert.Contains($"Bundle '{sha}' does not exist for this tenant", Detail(otherSubmitBody));
    }

    [Fact]
    public async Task Should_refuse_a_task_whose_bundle_is_not_a_sha256()
    {
        var (status, body) = await Api.SubmitTaskAsync(grid.AcmeKey, WithBundle("sh run.sh", "run.tar"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("64 lower-case hex", body!["errors"]!["bundle"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_refuse_a_bundle_over_the_configured_size_with_413()
    {
        var big = Convert.ToBase64String(RandomNumberGenerator.GetBytes(BundleGridFixture.MaxBundleBytes));
        var (status, body) = await UploadAsync(grid.AcmeKey, Tar(false, ("big.bin", big)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"at most {BundleGridFixture.MaxBundleBytes} bytes", Detail(body));
    }

    [Theory]
    [InlineData("application/x-tar")]
    [InlineData("application/gzip")]
    public async Task Should_refuse_a_body_that_is_not_a_tar_with_400(string contentType)
    {
        var (status, body) = await UploadAsync(grid.AcmeKey, Encoding.UTF8.GetBytes("this is a shopping list, not an archive " + new string('.', 600)), contentType);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not a valid tar", Detail(body));
    }

    [Fact]
    public async Task Should_refuse_an_unsupported_content_type_with_415()
    {
        var (status, body) = await UploadAsync(grid.AcmeKey, Tar(false, ("a.txt", "a")), "application/zip");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/x-tar", Detail(body));
    }

    [Fact]
    public async Task Should_refuse_a_bundle_with_a_dot_dot_entry_at_upload_and_on_the_worker()
    {
        var marker = "escape-" + Guid.NewGuid().ToString("n");
        var evil = Tar(false, ("run.sh", "echo inside\n"), ($"../{marker}", "owned"));

        var (status, body) = await UploadAsync(grid.AcmeKey, evil);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"'../{marker}'", Detail(body));

        // Suppose it got into a gateway's store anyway (an older gateway, a hand-copied file): the
        // worker applies the same rules before it writes anything.
        var sha = Sha256(evil);
        await File.WriteAllBytesAsync(grid.StoredBundle(sha), evil);
        Directory.CreateDirectory(Path.GetDirectoryName(grid.OwnerRecord("acme", sha))!);
        await File.WriteAllTextAsync(grid.OwnerRecord("acme", sha),
            new JsonObject { ["sha256"] = sha, ["sizeBytes"] = evil.Length, ["uploadedAt"] = DateTimeOffset.UtcNow }.ToJsonString());

        var task = await RunAsync(grid.AcmeKey, WithBundle("sh run.sh", sha));

        Assert.Equal("failed", Tasks.State(task));
        var reason = task["reason"]!.GetValue<string>();
        Assert.Contains($"bundle {sha} was refused", reason);
        Assert.Contains($"'../{marker}'", reason);
        Assert.Empty(Directory.EnumerateFileSystemEntries(grid.AttemptsRoot, marker, SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFileSystemEntries(grid.DataDirectory, marker, SearchOption.AllDirectories));
    }
}
