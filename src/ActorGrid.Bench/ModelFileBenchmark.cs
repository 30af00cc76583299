using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Inference.Images;
using Microsoft.ML.OnnxRuntime;

namespace ActorGrid.Bench;

// `actorgrid-bench inference --model <file.onnx> --shape … [--image …]`: a real model, not one the
// benchmark wrote, measured against raw ONNX Runtime in the same run. The baseline is what a
// developer writes without the grid: a session with default options and an OrtValue over the
// array per call. The grid figures are one client, sequential, over HTTP on loopback, so they
// include the client's own work; the machines are shared, so the ratios are what to compare.
public static class ModelFileBenchmark
{
    private const int WarmUp = 10;
    private static readonly double[] ImageNetMean = [0.485, 0.456, 0.406], ImageNetStd = [0.229, 0.224, 0.225];

    private const int QuietMs = 50;

    // Call: the gateway's own latency and the worker's compute (X-Latency-Ms, X-Compute-Ms) for
    // a gateway path, null for an in-process one.
    private sealed record Row(string Name, Func<Task<(double Gateway, double Compute)?>> Call, string? Baseline)
    {
        public List<double> Ms { get; } = [];
        public List<double> GatewayMs { get; } = [];
        public List<double> ComputeMs { get; } = [];
    }

    private static readonly Task<(double, double)?> InProcess = Task.FromResult<(double, double)?>(null);

    public static async Task<int> RunAsync(ModelBenchOptions o)
    {
        var onnx = await File.ReadAllBytesAsync(o.Model);
        var frame = o.Image is null ? null : await File.ReadAllBytesAsync(o.Image);
        var pixels = new float[o.Shape.Aggregate(1L, (a, d) => a * d)];
        var random = new Random(1);
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();
        var body = MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray();
        var shapeText = string.Join(",", o.Shape);
        var preprocess = Letterbox(o.Shape);
        Console.WriteLine($"Model {Path.GetFileName(o.Model)} ({onnx.Length / 1024} KiB), input [{shapeText}] float32 ({body.Length / 1024} KiB)"
                          + (frame is null ? "" : $", frame {Path.GetFileName(o.Image)} ({frame.Length / 1024} KiB)")
                          + $"; {o.Requests} rounds after {WarmUp} warm-up; {Environment.ProcessorCount} cores");

        // (a) raw ONNX Runtime, default session options, in this process beside the grid.
        using var session = new InferenceSession(onnx);
        var input = session.InputMetadata.Keys.First();
        var outputs = session.OutputMetadata.Keys.ToArray();
        using var run = new RunOptions();
        void Raw(float[] values)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(values, o.Shape);
            using var results = session.Run(run, [input], [value], outputs);
        }

        var root = Path.Combine(Path.GetTempPath(), "actorgrid-bench-model-" + Guid.NewGuid().ToString("n")[..8]);
        await using (var grid = await InferenceBenchmark.StartAsync(root, "core,gateway,worker", seeds: null, batching: true))
        {
            using var http = InferenceBenchmark.Client(grid.Http);
            await InferenceBenchmark.CreateTenantAsync(http);
            await InferenceBenchmark.UploadAsync(http, "model", onnx);
            const string RawName = "(a) raw ONNX Runtime, default options", RawFrameName = "(a') SkiaSharp preprocess + raw ONNX Runtime";
            var rows = new List<Row>
            {
                new(RawName, () => { Raw(pixels); return InProcess; }, null),
                new("(c) gateway, binary", () => SendAsync(http, Binary("model", body, shapeText)), RawName),
            };
            if (frame is not null)
            {
                await UploadWithConfigAsync(http, "model-frames", onnx, o.Shape);
                float[] Decode() => MemoryMarshal.Cast<byte, float>(FramePreprocessor.Prepare(frame, preprocess, ImageSettings.Default).Tensor!.Data).ToArray();
                rows.Add(new(RawFrameName, () => { Raw(Decode()); return InProcess; }, null));
                rows.Add(new("(c) gateway, image/jpeg", () => SendAsync(http, Image("model-frames", frame)), RawFrameName));
                rows.Add(new("(c) client decodes, gateway binary", () =>
                    SendAsync(http, Binary("model", FramePreprocessor.Prepare(frame, preprocess, ImageSettings.Default).Tensor!.Data, shapeText)), RawFrameName));
            }
            // (d) the same binary request through a gateway host to a worker on another host (one
            // cluster over loopback): the remote hop's cost on top of (c).
            await using var gatewayHost = o.TwoHosts ? await InferenceBenchmark.StartAsync(Path.Combine(root, "d-gateway"), "core,gateway", seeds: null, batching: true) : null;
            await using var workerHost = gatewayHost is null ? null
                : await InferenceBenchmark.StartAsync(Path.Combine(root, "d-worker"), "worker", seeds: gatewayHost.Seed, batching: true, db: gatewayHost.Db);
            using var remote = gatewayHost is null ? null : InferenceBenchmark.Client(gatewayHost.Http);
            if (remote is not null)
            {
                await InferenceBenchmark.CreateTenantAsync(remote);
                await InferenceBenchmark.UploadAsync(remote, "model", onnx);
                await UntilAnsweredAsync(() => SendAsync(remote, Binary("model", body, shapeText)));
                rows.Add(new("(d) gateway host + worker host, binary", () => SendAsync(remote, Binary("model", body, shapeText)), RawName));
            }
            // Round-robin: every path runs once per round, so a neighbour's load on this shared
            // machine falls on all of them alike and the ratios stay comparable.
            foreach (var r in rows)
                for (var i = 0; i < WarmUp; i++) await r.Call();
            for (var i = 0; i < o.Requests; i++)
                foreach (var r in rows)
                {
                    // ONNX Runtime's threads spin for a while after a run (allow_spinning, on by
                    // default), in this process after (a) and in the grid's after (c): timed right
                    // behind the other process's run, a path shares the cores with those spinning
                    // threads (measured: +15-20 ms at 640×640 for whichever row follows (a)). Each
                    // call starts with both processes quiet instead.
                    await Task.Delay(QuietMs);
                    var t = Stopwatch.GetTimestamp();
                    var server = await r.Call();
                    r.Ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    if (server is { } s)
                    {
                        r.GatewayMs.Add(s.Gateway);
                        r.ComputeMs.Add(s.Compute);
                    }
                }
            Print(rows);
        }
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        return 0;
    }

    private static void Print(List<Row> rows)
    {
        Console.WriteLine();
        Console.WriteLine($"{"path",-46} {"p50 ms",8} {"p99 ms",8} {"p50 ratio",10} {"p50 gap ms",11} {"gateway p50",12} {"compute p50",12}");
        foreach (var r in rows)
        {
            var (p50, p99) = (Percentiles.Of(r.Ms, 50), Percentiles.Of(r.Ms, 99));
            if (r.Baseline is null)
            {
                Console.WriteLine($"{r.Name,-46} {p50,8:0.00} {p99,8:0.00}");
                continue;
            }
            var b50 = Percentiles.Of(rows.First(b => b.Name == r.Baseline).Ms, 50);
            Console.WriteLine($"{r.Name,-46} {p50,8:0.00} {p99,8:0.00} {p50 / b50,9:0.00}x {p50 - b50,11:+0.00;-0.00} " +
                              $"{Percentiles.Of(r.GatewayMs, 50),12:0.00} {Percentiles.Of(r.ComputeMs, 50),12:0.00}");
        }
        Console.WriteLine("Ratios: binary against (a); the image rows against (a'), which decodes the same JPEG in-process first.");
        Console.WriteLine("gateway: the request's time inside the gateway (X-Latency-Ms), from its body read to its answer; compute: the worker's");
        Console.WriteLine("(X-Compute-Ms, with its decode for a frame). The rest of p50 is the HTTP exchange: upload, answer, loopback.");
    }

    // The frame letterboxed to the shape's height and width, ImageNet mean/std (PP-OCR's and most detectors').
    private static ImagePreprocess Letterbox(long[] shape) =>
        new([(int)shape[2], (int)shape[3]], ImageModes.Letterbox, ImageColors.Rgb, 1.0 / 255, ImageNetMean, ImageNetStd, ImageLayouts.Nchw);

    private static async Task UploadWithConfigAsync(HttpClient http, string name, byte[] onnx, long[] shape)
    {
        var config = $$$"""{"preprocess":{"resize":[{{{shape[2]}}},{{{shape[3]}}}],"mode":"letterbox","mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}}""";
        var model = new ByteArrayContent(onnx);
        model.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var form = new MultipartFormDataContent { { model, "model", "model.onnx" }, { new StringContent(config, Encoding.UTF8, "application/json"), "config" } };
        using var response = await http.PostAsync($"/v1/models/{name}", form);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Upload with config refused: {await response.Content.ReadAsStringAsync()}");
    }

    private static HttpRequestMessage Binary(string model, byte[] body, string shape)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{model}/infer") { Content = content };
        request.Headers.Add("X-Shape", shape);
        request.Headers.Add("X-Sla-Ms", "10000");
        return request;
    }

    // Answered as binary too (Accept), so both paths return the same bytes and differ only in what went up.
    private static HttpRequestMessage Image(string model, byte[] jpeg)
    {
        var content = new ByteArrayContent(jpeg);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{model}/infer") { Content = content };
        request.Headers.Add("X-Sla-Ms", "10000");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        return request;
    }

    private static async Task<(double Gateway, double Compute)?> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            var answer = await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(answer)}");
            return (Header(response, "X-Latency-Ms"), Header(response, "X-Compute-Ms"));
        }
    }

    // The worker host joins and reports its model a few seconds after the upload: until then the
    // gateway has nowhere to route (503), which is not what is being measured.
    private static async Task UntilAnsweredAsync(Func<Task> call)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(500);
            }
        }
    }

    private static double Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && double.TryParse(values.First(), System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : double.NaN;
}
