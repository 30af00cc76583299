using ActorGrid.Hosting;
using ActorGrid.Hosting.Observability;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ActorGrid.Node.Observability;

// Tracing is on only where someone will read it: OTLP when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads it, and OTEL_EXPORTER_OTLP_PROTOCOL,
// itself), JSON lines when ACTORGRID_TRACE_FILE is. With neither, no listener is registered and
// the actors' GridTracing calls create nothing.
public static class GridTelemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TraceFileVariable = "ACTORGRID_TRACE_FILE";

    public static bool Wanted(Func<string, string?> env) =>
        !string.IsNullOrWhiteSpace(env(OtlpEndpointVariable)) || !string.IsNullOrWhiteSpace(env(TraceFileVariable));

    public static IServiceCollection AddGridTracing(this IServiceCollection services, GridSettings grid, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (!Wanted(env)) return services;
        var host = $"{grid.Hostname}:{grid.Port}";
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("actorgrid", serviceInstanceId: host, autoGenerateServiceInstanceId: false)
                .AddAttributes([new("actorgrid.roles", string.Join(",", grid.Roles.Order()))]))
            .WithTracing(tracing =>
            {
                tracing.AddSource(GridTracing.SourceName)
                    // Probes and scrapes every few seconds would bury the requests worth reading.
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path.Value));
                if (!string.IsNullOrWhiteSpace(env(OtlpEndpointVariable))) tracing.AddOtlpExporter();
                if (env(TraceFileVariable) is { Length: > 0 } file)
                    tracing.AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(file, host)));
            });
        return services;
    }

    private static bool IsProbe(string? path) => path is "/healthz" or "/readyz" or "/metrics";
}
