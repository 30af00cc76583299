using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `models`: every tenant's inference models as the registry holds them (read-only; tenants upload
// and deploy with their own API keys).
public static class ModelsPalette
{
    public static IOperatorPalette Create() => new OperatorPalette("models", "Inference models across tenants: list, show.",
    [
        new OperatorCommand("list", "Every model with its latest version, per tenant.", [Opt("tenant", "Only this tenant's models.")], ListAsync),
        new OperatorCommand("show", "One model: every version, its signature, where it is pinned and loaded.",
        [
            Arg("name", "The model's name, as 'models list' prints it."),
            Opt("tenant", "The owning tenant (needed when several tenants use the name)."),
        ], ShowAsync),
    ]);

    private static async Task ListAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var path = "/v1/operator/models" + (run.Value("tenant") is { } tenant ? "?tenant=" + Uri.EscapeDataString(tenant) : "");
        var models = await run.Client.GetAsync(path, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(models);
            return;
        }
        var table = CommandOutput.Table("Tenant", "Name", "Latest", "Versions", "Size", "Inputs", "Outputs", "Registered");
        foreach (var model in models.Items())
        {
            var latest = model.Arr("versions").Items().LastOrDefault();
            table.AddRow(Markup.Escape(model.Str("tenant")), Markup.Escape(model.Str("name")), model.Str("latest"),
                model.Arr("versions").Count.ToString(CultureInfo.InvariantCulture), Size(latest),
                Markup.Escape(Tensors(latest, "inputs")), Markup.Escape(Tensors(latest, "outputs")), latest.Time("registeredAt"));
        }
        run.Output.Write(table);
        run.Output.Text($"{models.Items().Count()} model(s)");
    }

    private static async Task ShowAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var path = $"/v1/operator/models/{Uri.EscapeDataString(run.Required("name"))}";
        if (run.Value("tenant") is { } tenant) path += "?tenant=" + Uri.EscapeDataString(tenant);
        var model = await run.Client.GetAsync(path, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(model);
            return;
        }
        run.Output.Write(CommandOutput.Fields(
        [
            ("tenant", model.Str("tenant")),
            ("name", model.Str("name")),
            ("latest version", model.Str("latest")),
        ]));
        var table = CommandOutput.Table("Version", "SHA-256", "Size", "Inputs", "Outputs", "Batchable", "Pinned to", "Loaded on", "Registered");
        foreach (var v in model.Arr("versions").Items())
        {
            var selector = v["deployment"]?["selector"];
            var pinned = selector is null
                ? "-"
                : string.Join(" ", new[] { "tier", "site", "zone" }.Where(f => selector[f] is not null).Select(f => $"{f}={selector.Str(f)}")
                    .Concat(selector.Arr("nodes").Count > 0 ? [$"nodes={selector.Arr("nodes").Join()}"] : []));
            var loaded = string.Join(", ", v.Arr("loadedOn").Items().Select(l => $"{l.Str("node")} ({l.Str("state")})"));
            table.AddRow(v.Str("version"), Markup.Escape(v.Str("sha256")[..Math.Min(12, v.Str("sha256").Length)]), Size(v),
                Markup.Escape(Tensors(v, "inputs")), Markup.Escape(Tensors(v, "outputs")), v.Str("batchable"),
                Markup.Escape(pinned), Markup.Escape(loaded.Length == 0 ? "-" : loaded), v.Time("registeredAt"));
        }
        run.Output.Write(table);
    }

    // "x float32[-1,4]": what a caller must send, in one cell.
    private static string Tensors(JsonNode? version, string field) =>
        string.Join(", ", version.Arr(field).Items().Select(t => $"{t.Str("name")} {t.Str("type")}[{t.Arr("shape").Join()}]"));

    private static string Size(JsonNode? version) =>
        double.TryParse(version.Str("sizeBytes"), NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes)
            ? bytes >= 1 << 20 ? $"{bytes / (1 << 20):0.#} MiB" : $"{bytes / 1024:0.#} KiB"
            : "-";
}
