using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `tenants`: customers of the grid, their API keys, quotas and abuse limits.
public static class TenantsPalette
{
    private static readonly OperatorParameter Id = Arg("id", "The tenant's id.");
    private static readonly OperatorParameter MaxCpu = Opt("max-cpu", "Most CPU cores the tenant's running tasks may hold.");
    private static readonly OperatorParameter MaxChips = Opt("max-chips", "Most accelerator chips the tenant's running tasks may hold.");
    private static readonly OperatorParameter SubmitPerSecond = Opt("submit-per-second",
        "Task submissions per second the tenant's bucket refills; faster submissions get 429 with Retry-After (1-10000).");
    private static readonly OperatorParameter Burst = Opt("burst",
        "Submissions the tenant may make at once before the per-second rate applies; at least --submit-per-second (1-100000).");
    private static readonly OperatorParameter MaxQueued = Opt("max-queued",
        "Most unfinished tasks (not succeeded, failed or cancelled) the tenant may have; a submission over it gets 429 (1-1000000).");

    public static IOperatorPalette Create() => new OperatorPalette("tenants", "Tenants: create, show, list, keys rotate, quota, limits.",
    [
        new OperatorCommand("create", "Create a tenant and print its API key (shown once).",
        [
            Id,
            Opt("name", "Display name (default: the id)."),
            Opt("zones", "Comma-separated zones the tenant's data may go to, e.g. CN-ZJ,CN-GD."),
            MaxCpu, MaxChips,
        ], CreateAsync),
        new OperatorCommand("show", "One tenant: name, zones, quota, limits, task count.", [Id], ShowAsync),
        new OperatorCommand("list", "Every tenant.", [], ListAsync),
        new OperatorCommand("keys rotate", "Issue a new API key and revoke the old ones.", [Id], RotateAsync),
        new OperatorCommand("quota", "Change a tenant's quota.", [Id, MaxCpu, MaxChips], QuotaAsync),
        new OperatorCommand("limits", "Change a tenant's submission rate and its cap on unfinished tasks; options left out keep their value. Gateways apply it within seconds.",
            [Id, SubmitPerSecond, Burst, MaxQueued], LimitsAsync),
    ]);

    private static async Task CreateAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var id = run.Required("id");
        var body = new JsonObject
        {
            ["id"] = id,
            ["name"] = run.Value("name") ?? id,
            ["zones"] = new JsonArray([.. (run.Value("zones") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(z => (JsonNode?)z)]),
        };
        if (Quota(run) is { } quota) body["quota"] = quota;
        var reply = await run.Client.PostAsync("/v1/tenants", body, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        run.Output.Text($"Tenant {reply.Str("id")} created. API key (shown once): {reply.Str("apiKey")}");
    }

    private static async Task ShowAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var tenant = await run.Client.GetAsync($"/v1/tenants/{Uri.EscapeDataString(run.Required("id"))}", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(tenant);
            return;
        }
        run.Output.Write(CommandOutput.Fields(
        [
            ("id", tenant.Str("id")),
            ("name", tenant.Str("name")),
            ("zones", tenant.Arr("zones").Join()),
            ("quota", $"{tenant?["quota"].Str("maxCpu")} cpu, {tenant?["quota"].Str("maxChips")} chips"),
            ("limits", DescribeLimits(tenant?["limits"])),
            ("tasks", $"{tenant.Str("taskCount")} ({tenant.Str("unfinished")} unfinished)"),
            ("created", tenant.Time("createdAt")),
        ]));
    }

    private static async Task ListAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var tenants = await run.Client.GetAsync("/v1/tenants", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(tenants);
            return;
        }
        var table = CommandOutput.Table("Id", "Name", "Zones", "Max CPU", "Max chips", "Tasks", "Created");
        foreach (var t in tenants.Items())
            table.AddRow(Markup.Escape(t.Str("id")), Markup.Escape(t.Str("name")), Markup.Escape(t.Arr("zones").Join()),
                t["quota"].Str("maxCpu"), t["quota"].Str("maxChips"), t.Str("taskCount"), t.Time("createdAt"));
        run.Output.Write(table);
    }

    private static async Task RotateAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var reply = await run.Client.PostAsync($"/v1/tenants/{Uri.EscapeDataString(run.Required("id"))}/keys/rotate", null, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        run.Output.Text($"New API key for {reply.Str("id")} (shown once): {reply.Str("apiKey")}; {reply.Str("revoked")} old key(s) revoked.");
    }

    private static async Task QuotaAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var quota = Quota(run) ?? throw new CommandFailedException(ExitCodes.Usage, "Give --max-cpu, --max-chips or both, e.g. 'tenants quota acme --max-cpu 32'.");
        var tenant = await run.Client.PutAsync($"/v1/tenants/{Uri.EscapeDataString(run.Required("id"))}/quota", quota, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(tenant);
            return;
        }
        run.Output.Text($"Tenant {tenant.Str("id")} quota: {tenant?["quota"].Str("maxCpu")} cpu, {tenant?["quota"].Str("maxChips")} chips.");
    }

    private static async Task LimitsAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var limits = new JsonObject();
        foreach (var (option, field, example) in new[] { ("submit-per-second", "submitPerSecond", 50), ("burst", "burst", 100), ("max-queued", "maxQueued", 5000) })
            if (run.Value(option) is { } text)
                limits[field] = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                    ? n : throw new CommandFailedException(ExitCodes.Usage, $"--{option} '{text}' is not a whole number, e.g. --{option} {example}.");
        if (limits.Count == 0)
            throw new CommandFailedException(ExitCodes.Usage, "Give --submit-per-second, --burst, --max-queued or several, e.g. 'tenants limits acme --submit-per-second 50 --burst 100'.");
        var tenant = await run.Client.PutAsync($"/v1/tenants/{Uri.EscapeDataString(run.Required("id"))}/limits", limits, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(tenant);
            return;
        }
        run.Output.Text($"Tenant {tenant.Str("id")} limits: {DescribeLimits(tenant?["limits"])}.");
    }

    private static string DescribeLimits(JsonNode? limits) =>
        $"{limits.Str("submitPerSecond")}/s, burst {limits.Str("burst")}, {limits.Str("maxQueued")} unfinished tasks at most";

    private static JsonObject? Quota(OperatorInvocation run)
    {
        var quota = new JsonObject();
        if (run.Value("max-cpu") is { } cpu)
            quota["maxCpu"] = double.TryParse(cpu, NumberStyles.Float, CultureInfo.InvariantCulture, out var c)
                ? c : throw new CommandFailedException(ExitCodes.Usage, $"--max-cpu '{cpu}' is not a number, e.g. --max-cpu 16.");
        if (run.Value("max-chips") is { } chips)
            quota["maxChips"] = int.TryParse(chips, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n : throw new CommandFailedException(ExitCodes.Usage, $"--max-chips '{chips}' is not a whole number, e.g. --max-chips 4.");
        return quota.Count == 0 ? null : quota;
    }
}
