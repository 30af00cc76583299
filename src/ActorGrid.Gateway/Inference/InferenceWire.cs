using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Inference.Images;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Inference;

// The request as the API description shows it; the body itself is read by InferRequestReader.
public sealed record TensorJson(long[]? Shape, double[]? Data, string? Type);

public sealed record InferRequestJson(Dictionary<string, TensorJson>? Inputs, string? OriginSite, double? SlaMs, string? Lane);

// Frame is the model's config when the input was a camera frame: the answer then carries its
// label. Image is that frame's bytes as the client sent them; Inputs is then empty, the worker
// decodes the frame.
public sealed record InferInput(IReadOnlyDictionary<string, TensorPayload> Inputs, string? OriginSite, double SlaMs, bool Binary, string? OutputName,
    ModelConfig? Frame = null, byte[]? Image = null);

// The inference request and reply in their two forms: JSON tensors ({"shape","data"}), or for a
// camera frame raw little-endian float32 bytes with the shape in X-Shape (and the input name in
// X-Input-Name when the model has several), so a 1 MB image need not become JSON. A JPEG or PNG
// frame (image/jpeg, image/png) is only checked here, from its header (size, format, pixels);
// it travels compressed and the worker decodes and preprocesses it (README, "Images in").
public static class InferenceWire
{
    public const string Binary = "application/octet-stream";

    public static bool IsImage(string? type) =>
        type is not null && (type.StartsWith("image/jpeg", StringComparison.OrdinalIgnoreCase) || type.StartsWith("image/png", StringComparison.OrdinalIgnoreCase));

    public static async Task<(InferInput? Input, IResult? Error)> ReadAsync(HttpRequest request, ModelSignature signature, InferenceSettings settings, CancellationToken cancel,
        ModelConfig? config = null, ImageSettings? images = null)
    {
        if (IsImage(request.ContentType))
            return await ReadImageAsync(request, config, images ?? ImageSettings.Default, settings, cancel);
        if (request.ContentType is { } type && type.StartsWith(Binary, StringComparison.OrdinalIgnoreCase))
            return await ReadBinaryAsync(request, signature, settings, cancel);
        if (request.HasFormContentType)
            return await ReadMultipartAsync(request, signature, settings, cancel);

        var (body, length, bodyError) = await ReadBodyAsync(request, settings.MaxRequestBytes, cancel);
        if (bodyError is not null) return (null, bodyError);
        try
        {
            if (length == 0) return (null, Problems.BadRequest("The request body is empty; send a JSON object."));
            JsonInferRequest? json;
            try
            {
                json = InferRequestReader.Read(body.AsSpan(0, length));
            }
            catch (InferRequestJsonException ex)
            {
                return (null, Problems.BadRequest($"The body is not valid JSON for this request at {ex.Path}: {ex.Message}"));
            }
            if (json is null) return (null, Problems.BadRequest("The request body is JSON null; send a JSON object."));
            using (json)
            {
                if (json.Inputs is null || json.Inputs.Count == 0)
                    return (null, Problems.BadRequest($"Send 'inputs', e.g. {{\"inputs\":{{\"{signature.Inputs.FirstOrDefault()?.Name ?? "x"}\":{{\"shape\":[…],\"data\":[…]}}}}}}."));
                var (sla, slaError) = LaneAndSlaOf(json.Lane, json.SlaMs, settings);
                if (slaError is not null) return (null, slaError);

                var inputs = new Dictionary<string, TensorPayload>(json.Inputs.Count);
                foreach (var (name, tensor) in json.Inputs)
                {
                    var (payload, error) = TensorOf(name, tensor, signature, null);
                    if (error is not null) return (null, error);
                    inputs[name] = payload!;
                }
                return (new InferInput(inputs, json.OriginSite, sla, false, null), null);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    // The whole JSON body in one pooled buffer, sized from Content-Length when the client sent it,
    // so it is read once and parsed in place. Same rules as every JSON endpoint: application/json
    // only (415), at most maxBytes (413).
    private static async Task<(byte[] Body, int Length, IResult? Error)> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancel)
    {
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return ([], 0, Problems.Of(415, "Unsupported media type", $"Send the body as application/json, not {type}."));
        if (request.ContentLength > maxBytes) return ([], 0, Problems.TooLarge(maxBytes));
        // One byte more than announced, so the final zero-length read needs no second buffer.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength + 1 ?? 16 * 1024, int.MaxValue));
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), cancel)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return ([], 0, Problems.TooLarge(maxBytes));
                }
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
            }
            return (buffer, length, null);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    // One input from its JSON description: the values from "data", or, for a multipart upload,
    // the raw little-endian bytes of the file part named after the input.
    private static (TensorPayload?, IResult?) TensorOf(string name, JsonTensor? tensor, ModelSignature signature, byte[]? raw)
    {
        var spec = signature.Inputs.FirstOrDefault(i => i.Name == name);
        if (spec is null)
            return (null, Problems.BadRequest($"The model has no input '{name}'; its inputs are: {string.Join(", ", signature.Inputs.Select(i => i.Name))}."));
        if (tensor?.Shape is null || (!tensor.HasData && raw is null))
            return (null, Problems.BadRequest(raw is null && tensor?.Shape is not null
                ? $"Input '{name}' needs 'data', or a file part named '{name}' with its raw bytes in a multipart/form-data request."
                : $"Input '{name}' needs both 'shape' and 'data'."));
        var shape = tensor.Shape;
        var elementType = tensor.Type ?? spec.Type;
        if (TensorTypes.ElementOf(elementType) is null)
            return (null, Problems.BadRequest($"Input '{name}' type '{elementType}' is not supported; use one of {string.Join(", ", TensorTypes.Supported)}."));
        if (shape.Any(d => d <= 0))
            return (null, Problems.BadRequest($"Input '{name}' shape {InputValidation.Shape(shape)} has a dimension that is not positive."));
        long count;
        try { count = TensorTypes.ElementCount(shape); }
        catch (OverflowException) { return (null, Problems.BadRequest($"Input '{name}' shape is too large.")); }
        if (raw is not null)
        {
            if (tensor.HasData)
                return (null, Problems.BadRequest($"Input '{name}' has both 'data' and a file part; send one of them."));
            var expected = count * TensorTypes.SizeOf(elementType);
            return raw.LongLength == expected
                ? (new TensorPayload(elementType, [.. shape], raw), null)
                : (null, Problems.BadRequest($"File part '{name}' has {raw.LongLength} bytes but shape {InputValidation.Shape(shape)} of {elementType} needs {expected}."));
        }
        if (count != tensor.Count)
            return (null, Problems.BadRequest($"Input '{name}' has {tensor.Count} values but shape {InputValidation.Shape(shape)} needs {count}."));
        try
        {
            return (TensorPayloads.FromNumbers(elementType, shape, tensor.Data), null);
        }
        catch (OverflowException)
        {
            return (null, Problems.BadRequest($"Input '{name}' has a value out of range for {elementType}."));
        }
    }

    // multipart/form-data: a part named "request" with the JSON request, whose inputs give shape
    // (and type) but may leave out "data", plus one file part per such input, named after it,
    // holding its raw little-endian bytes. A camera frame goes up as a file, not as JSON numbers.
    public const string RequestPart = "request";

    private static async Task<(InferInput?, IResult?)> ReadMultipartAsync(HttpRequest request, ModelSignature signature, InferenceSettings settings, CancellationToken cancel)
    {
        if (request.ContentLength > settings.MaxRequestBytes) return (null, Problems.TooLarge(settings.MaxRequestBytes));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
            {
                MultipartBodyLengthLimit = settings.MaxRequestBytes,
                ValueLengthLimit = (int)Math.Min(int.MaxValue, settings.MaxRequestBytes),
            }, cancel);
        }
        catch (InvalidDataException ex)
        {
            return (null, ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? Problems.TooLarge(settings.MaxRequestBytes)
                : Problems.BadRequest($"The multipart body could not be read: {ex.Message}"));
        }
        string? text = form.TryGetValue(RequestPart, out var field) ? field.ToString() : null;
        if (text is null && form.Files.GetFile(RequestPart) is { } jsonFile)
        {
            using var reader = new StreamReader(jsonFile.OpenReadStream());
            text = await reader.ReadToEndAsync(cancel);
        }
        if (string.IsNullOrWhiteSpace(text))
            return (null, Problems.BadRequest($"Send a part named '{RequestPart}' with the JSON request, e.g. {{\"inputs\":{{\"{signature.Inputs.FirstOrDefault()?.Name ?? "x"}\":{{\"shape\":[…]}}}},\"slaMs\":80}}, and a file part per input."));
        JsonInferRequest? json;
        try
        {
            json = InferRequestReader.Read(System.Text.Encoding.UTF8.GetBytes(text));
        }
        catch (InferRequestJsonException ex)
        {
            return (null, Problems.BadRequest($"Part '{RequestPart}' is not valid JSON for an inference request: {ex.Message} (at {ex.Path})"));
        }
        using var owned = json;
        if (json?.Inputs is null || json.Inputs.Count == 0)
            return (null, Problems.BadRequest($"Part '{RequestPart}' must name the inputs with their shapes under 'inputs'."));
        if (form.Files.FirstOrDefault(f => f.Name != RequestPart && !json.Inputs.ContainsKey(f.Name)) is { } stray)
            return (null, Problems.BadRequest($"File part '{stray.Name}' is not one of the inputs named in '{RequestPart}' ({string.Join(", ", json.Inputs.Keys)})."));
        var (sla, slaError) = LaneAndSlaOf(json.Lane, json.SlaMs, settings);
        if (slaError is not null) return (null, slaError);

        var inputs = new Dictionary<string, TensorPayload>(json.Inputs.Count);
        foreach (var (name, tensor) in json.Inputs)
        {
            byte[]? raw = null;
            if (form.Files.GetFile(name) is { } file)
            {
                raw = new byte[file.Length];
                await using var stream = file.OpenReadStream();
                await stream.ReadExactlyAsync(raw, cancel);
            }
            var (payload, error) = TensorOf(name, tensor, signature, raw);
            if (error is not null) return (null, error);
            inputs[name] = payload!;
        }
        return (new InferInput(inputs, json.OriginSite, sla, false, null), null);
    }

    private static async Task<(InferInput?, IResult?)> ReadBinaryAsync(HttpRequest request, ModelSignature signature, InferenceSettings settings, CancellationToken cancel)
    {
        var name = request.Headers["X-Input-Name"].ToString();
        if (name.Length == 0)
        {
            if (signature.Inputs.Count != 1)
                return (null, Problems.BadRequest($"The model has {signature.Inputs.Count} inputs; name the one you send in X-Input-Name ({string.Join(", ", signature.Inputs.Select(i => i.Name))}). Several inputs need the JSON form."));
            name = signature.Inputs[0].Name;
        }
        var shapeHeader = request.Headers["X-Shape"].ToString();
        var shape = shapeHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToArray();
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            return (null, Problems.BadRequest($"Send the tensor's shape in X-Shape as positive integers, e.g. 'X-Shape: 1,3,32,32' (got '{shapeHeader}')."));
        var elementType = request.Headers["X-Type"].ToString() is { Length: > 0 } t ? t : TensorTypes.Float32;
        if (TensorTypes.ElementOf(elementType) is null)
            return (null, Problems.BadRequest($"X-Type '{elementType}' is not supported; use one of {string.Join(", ", TensorTypes.Supported)}."));
        var sla = request.Headers["X-Sla-Ms"].ToString();
        double? slaMs = sla.Length == 0 ? null : double.TryParse(sla, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : double.NaN;
        var (slaValue, slaError) = SlaOf(slaMs, settings);
        if (slaError is not null) return (null, slaError);

        long expected;
        try { expected = TensorTypes.ElementCount(shape) * TensorTypes.SizeOf(elementType); }
        catch (OverflowException) { return (null, Problems.BadRequest("X-Shape is too large.")); }
        if (expected > settings.MaxRequestBytes) return (null, Problems.TooLarge(settings.MaxRequestBytes));
        if (request.ContentLength is { } length && length != expected)
            return (null, Problems.BadRequest($"Shape {InputValidation.Shape(shape)} of {elementType} needs {expected} bytes, but the body has {length}."));
        // Not zeroed first (4.9 MB at 640×640): every byte is read from the body, or the request is refused.
        var data = GC.AllocateUninitializedArray<byte>((int)expected);
        var read = 0;
        while (read < data.Length)
        {
            var n = await request.Body.ReadAsync(data.AsMemory(read), cancel);
            if (n == 0) break;
            read += n;
        }
        if (read != expected || await request.Body.ReadAsync(new byte[1], cancel) > 0)
            return (null, Problems.BadRequest($"Shape {InputValidation.Shape(shape)} of {elementType} needs exactly {expected} bytes of body."));
        var output = request.Headers["X-Output-Name"].ToString();
        return (new InferInput(new Dictionary<string, TensorPayload> { [name] = new(elementType, shape, data) },
            request.Headers["X-Origin-Site"].ToString() is { Length: > 0 } origin ? origin : null, slaValue, true, output.Length > 0 ? output : null), null);
    }

    private static async Task<(InferInput?, IResult?)> ReadImageAsync(HttpRequest request, ModelConfig? config, ImageSettings images, InferenceSettings settings, CancellationToken cancel)
    {
        if (config is null)
            return (null, Problems.Of(415, "The model takes no images",
                "This model version has no image config. Upload it again as multipart/form-data with the ONNX file in a 'model' part and a 'config' part "
                + "(e.g. {\"preprocess\":{\"resize\":[640,640],\"mode\":\"letterbox\"},\"labels\":[\"ok\",\"defect\"]}), or send tensors as application/json or application/octet-stream with X-Shape."));
        var tooLarge = Problems.Of(413, "The image is too large", $"The image must be at most {images.MaxBytes} bytes (actorgrid.inference.images.max-bytes).");
        if (request.ContentLength > images.MaxBytes) return (null, tooLarge);
        using var body = new MemoryStream((int)Math.Min(request.ContentLength ?? 256 * 1024, images.MaxBytes));
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, cancel)) > 0)
            {
                if (body.Length + n > images.MaxBytes) return (null, tooLarge);
                body.Write(chunk, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        if (body.Length == 0) return (null, Problems.BadRequest("The body is empty; send the JPEG or PNG file's bytes."));
        var (slaValue, slaError) = SlaOf(SlaHeader(request), settings);
        if (slaError is not null) return (null, slaError);
        var image = body.ToArray();
        if (FramePreprocessor.Probe(image, images) is { } refusal)
            return (null, refusal.TooLarge ? Problems.Of(413, "The image is too large", refusal.Reason) : Problems.Of(400, "The image cannot be read", refusal.Reason));
        return (new InferInput(new Dictionary<string, TensorPayload>(), OriginOf(request), slaValue, false, null, config, image), null);
    }

    private static double? SlaHeader(HttpRequest request)
    {
        var sla = request.Headers["X-Sla-Ms"].ToString();
        return sla.Length == 0 ? null : double.TryParse(sla, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : double.NaN;
    }

    private static string? OriginOf(HttpRequest request) => request.Headers["X-Origin-Site"].ToString() is { Length: > 0 } origin ? origin : null;

    // Inference answers now or not at all: only the two latency lanes make sense for it.
    private static (double Sla, IResult? Error) LaneAndSlaOf(string? lane, double? slaMs, InferenceSettings settings) =>
        lane is not null && lane != "realtime" && lane != "interactive"
            ? (0, Problems.BadRequest($"Lane '{lane}' is not served by inference; use realtime or interactive."))
            : SlaOf(slaMs, settings);

    private static (double Sla, IResult? Error) SlaOf(double? slaMs, InferenceSettings settings) =>
        slaMs switch
        {
            null => (settings.DefaultSlaMs, null),
            var s when double.IsNaN(s.Value) || s <= 0 || s > 600_000 => (0, Problems.BadRequest($"slaMs must be a number of milliseconds between 0 and 600000, not {s}.")),
            var s => (s.Value, null),
        };

    public sealed record Answer(InferenceSucceeded Reply, string AuditId, string RequestId, ModelVersionView Model, double LatencyMs, string Route, bool Offloaded,
        FrameLabel? Label = null);

    public static async Task WriteJsonAsync(HttpResponse response, Answer a, CancellationToken cancel)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        // Straight into the response pipe; the structure is fixed here, so the writer skips its checks.
        await using var writer = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { SkipValidation = true });
        writer.WriteStartObject();
        writer.WriteStartObject("outputs");
        foreach (var (name, tensor) in a.Reply.Outputs)
        {
            writer.WriteStartObject(name);
            writer.WriteString("type", tensor.Type);
            writer.WriteStartArray("shape");
            foreach (var d in tensor.Shape) writer.WriteNumberValue(d);
            writer.WriteEndArray();
            writer.WritePropertyName("data");
            TensorPayloads.WriteNumbers(writer, tensor);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        if (a.Label is { } label)
        {
            if (label.Label is { } text) writer.WriteString("label", text);
            writer.WriteNumber("classIndex", label.Index);
            writer.WriteNumber("score", Math.Round(label.Score, 6));
        }
        writer.WriteString("node", a.Reply.Node.Value);
        writer.WriteString("tier", a.Reply.Tier);
        writer.WriteNumber("latencyMs", Math.Round(a.LatencyMs, 3));
        writer.WriteString("auditId", a.AuditId);
        writer.WriteString("requestId", a.RequestId);
        writer.WriteStartObject("model");
        writer.WriteString("name", a.Model.Name);
        writer.WriteNumber("version", a.Model.Version);
        writer.WriteString("sha256", a.Model.Sha256);
        writer.WriteEndObject();
        writer.WriteNumber("queueMs", Math.Round(a.Reply.QueueMs, 3));
        writer.WriteNumber("computeMs", Math.Round(a.Reply.ComputeMs, 3));
        if (a.Reply.PreprocessMs > 0) writer.WriteNumber("preprocessMs", Math.Round(a.Reply.PreprocessMs, 3));
        writer.WriteNumber("batchSize", a.Reply.BatchSize);
        writer.WriteString("route", a.Route);
        writer.WriteBoolean("offloaded", a.Offloaded);
        writer.WriteBoolean("coldStart", a.Reply.ColdStart);
        writer.WriteEndObject();
        await writer.FlushAsync(cancel);
    }

    public static async Task WriteBinaryAsync(HttpResponse response, Answer a, string? outputName, CancellationToken cancel)
    {
        var name = outputName ?? a.Reply.Outputs.Keys.First();
        var tensor = a.Reply.Outputs[name];
        response.StatusCode = 200;
        response.ContentType = Binary;
        response.Headers["X-Output-Name"] = name;
        response.Headers["X-Type"] = tensor.Type;
        response.Headers["X-Shape"] = string.Join(",", tensor.Shape);
        response.Headers["X-Node"] = a.Reply.Node.Value;
        response.Headers["X-Tier"] = a.Reply.Tier;
        response.Headers["X-Latency-Ms"] = a.LatencyMs.ToString("0.###", CultureInfo.InvariantCulture);
        // The JSON answer's queueMs and computeMs: the worker's share of X-Latency-Ms.
        response.Headers["X-Queue-Ms"] = a.Reply.QueueMs.ToString("0.###", CultureInfo.InvariantCulture);
        response.Headers["X-Compute-Ms"] = a.Reply.ComputeMs.ToString("0.###", CultureInfo.InvariantCulture);
        response.Headers["X-Audit-Id"] = a.AuditId;
        response.Headers["X-Request-Id"] = a.RequestId;
        response.Headers["X-Route"] = a.Route;
        response.Headers["X-Cold-Start"] = a.Reply.ColdStart ? "true" : "false";
        if (a.Reply.PreprocessMs > 0) response.Headers["X-Preprocess-Ms"] = a.Reply.PreprocessMs.ToString("0.###", CultureInfo.InvariantCulture);
        response.ContentLength = tensor.Data.Length;
        await response.Body.WriteAsync(tensor.Data, cancel);
    }
}
