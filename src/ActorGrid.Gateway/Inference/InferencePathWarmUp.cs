using System.Diagnostics;
using System.Text;
using ActorGrid.Gateway.Audit;
using ActorGrid.Hosting;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Gateway.Inference;

// Runs the gateway's own inference path (JSON and binary readers, validation, the input digest)
// on made-up frames once the host starts, so its JIT is paid at start and not by the first
// camera frame: cold, that path alone spent 100–300 ms of an 80 ms SLA before the request left
// the gateway. Nothing is routed or audited; it only touches code.
internal sealed class InferencePathWarmUp(GridSettings grid, InferenceSettings settings, ILogger<InferencePathWarmUp> log) : IHostedService
{
    private static readonly ModelSignature Signature = new(
        [new TensorSpec("image", "float32", [-1, 3, 16, 16])], [new TensorSpec("probs", "float32", [-1, 3])]);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (grid.Has(Roles.Gateway)) _ = Task.Run(() => WarmAsync(cancellationToken), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WarmAsync(CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var floats = Enumerable.Range(0, 3 * 16 * 16).Select(i => (i % 17) / 17f).ToArray();
            var json = Encoding.UTF8.GetBytes(
                "{\"inputs\":{\"image\":{\"shape\":[1,3,16,16],\"data\":[" + string.Join(',', floats.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]}},\"slaMs\":80}");
            var binary = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, binary, 0, binary.Length);
            for (var round = 0; round < 3; round++)
            {
                await ReadAsync("application/json", json, null, cancel);
                await ReadAsync(InferenceWire.Binary, binary, "1,3,16,16", cancel);
            }
            log.LogInformation("Warmed the gateway's inference path in {Millis:0} ms", watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A warm-up that fails costs only the warmth: requests still take the same path.
            log.LogWarning(ex, "Warming the gateway's inference path failed after {Millis:0} ms", watch.Elapsed.TotalMilliseconds);
        }
    }

    private async Task ReadAsync(string contentType, byte[] body, string? shape, CancellationToken cancel)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = contentType;
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        if (shape is not null) context.Request.Headers["X-Shape"] = shape;
        var (input, error) = await InferenceWire.ReadAsync(context.Request, Signature, settings, cancel);
        if (input is null) throw new InvalidOperationException("the warm-up frame was refused: " + error);
        _ = InputValidation.Check(Signature, input.Inputs);
        _ = TensorDigest.Of(input.Inputs);
    }
}
