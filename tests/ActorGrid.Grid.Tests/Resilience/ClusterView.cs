using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Cli;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Resilience;

// What the resilience specs read from a gateway: members that are up, and nodes that are ready.
// Reads never throw while the gateway restarts; they answer "nothing seen".
public sealed class ClusterView(ApiClient api, string token)
{
    public async Task<IReadOnlyList<string>> UpMembersAsync()
    {
        try
        {
            var cluster = (await api.SendJsonAsync(HttpMethod.Get, "/v1/cluster", token, null)).Body;
            return cluster?["members"] is JsonArray members
                ? [.. members.Where(m => m!["status"]!.GetValue<string>() == "up" && m["reachable"]!.GetValue<bool>()).Select(m => m!["address"]!.GetValue<string>())]
                : [];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return []; }
    }

    public async Task<IReadOnlyList<string>> ReadyNodesAsync()
    {
        try
        {
            var nodes = (await api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", token, null)).Body;
            return nodes is JsonArray list
                ? [.. list.Where(n => n!["state"]!.GetValue<string>() == "ready").Select(n => n!["id"]!.GetValue<string>())]
                : [];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return []; }
    }

    // Polls until the condition holds; false when the time is up.
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(250);
        }
        return await condition();
    }
}

// `actorgrid certs init` run as an operator would, through the real CLI.
public static class ClusterCertificates
{
    public static async Task<string> InitAsync(string folder, params string[] hosts)
    {
        var result = await CliProcess.RunAsync(["certs", "init", "--out", folder, "--hosts", string.Join(',', hosts)], token: null);
        Assert.True(result.ExitCode == 0, $"certs init failed: {result}");
        return folder;
    }

    public static string[] NodeArgs(string folder, string host) =>
        ["--tls-cert", Path.Combine(folder, host + ".pfx"), "--tls-ca", Path.Combine(folder, "ca.crt")];

    public static X509Certificate2 LoadHost(string folder, string host, string password = "") =>
        X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(folder, host + ".pfx"), password);
}
