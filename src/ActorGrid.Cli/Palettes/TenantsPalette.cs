using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `tenants`: customers of the grid, their API keys and quotas.
public static class TenantsPalette
{
    private static readonly OperatorParameter Id = Arg("id", "The tenant's id.");
    private static readonly OperatorParameter MaxCpu = Opt("max-cpu", "Most CPU cores the tenant's running tasks may hold.");
    private static readonly OperatorParameter MaxChips = Opt("max-chips", "Most accelerator chips the tenant's running tasks may hold.");

    public static IOperatorPalette Create() => new OperatorPalette("tenants", "Tenants: create, show, list, keys rotate, quota.",
    [
        new OperatorCommand("create", "Create a tenant and print its API key (shown once).",
        [
            Id,
            Opt("name", "Display name (default: the id)."),
            Opt("zones", "Comma-separated zones the tenant's data may go to, e.g. CN-ZJ,CN-GD."),
            MaxCpu, MaxChips,
        ], CreateAsync),
        new OperatorCommand("show", "One tenant: name, zones, quota, task count.", [Id], ShowAsync),
        new OperatorCommand("list", "Every tenant.", [], ListAsync),
        new OperatorCommand("keys rotate", "Issue a new API key and revoke the old ones.", [Id], RotateAsync),
        new OperatorCommand("quota", "Change a tenant's quota.", [Id, MaxCpu, MaxChips], QuotaAsync),
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
            ("tasks", tenant.Str("taskCount")),
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
