using System.Text.Json;
using ActorGrid.Gateway.Http;
using ActorGrid.Worker.Inference.Images;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ActorGrid.Gateway.Apis;

// POST /v1/models/{name} as multipart/form-data: the ONNX file in a part named "model" and the
// image config as JSON in a part named "config" (a field or a file). Unknown config fields are
// refused by name, so a typo ("stdd") is a 400 rather than a silently ignored setting.
internal static class ModelUploadForm
{
    public const string ModelPart = "model", ConfigPart = "config";
    public const int MaxConfigBytes = 64 * 1024;

    public static async Task<(Stream? Model, ModelConfigDraft? Config, IResult? Error)> ReadAsync(HttpRequest request, long maxModelBytes, CancellationToken cancel)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = maxModelBytes + MaxConfigBytes + 4096, ValueLengthLimit = MaxConfigBytes }, cancel);
        }
        catch (InvalidDataException ex)
        {
            return (null, null, ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? Problems.TooLarge(maxModelBytes)
                : Problems.BadRequest($"The multipart body could not be read: {ex.Message}"));
        }
        if (form.Files.GetFile(ModelPart) is not { } model)
            return (null, null, Problems.BadRequest($"Send the ONNX file in a file part named '{ModelPart}' (and the JSON config in a part named '{ConfigPart}')."));
        string? text = form.TryGetValue(ConfigPart, out var field) ? field.ToString() : null;
        if (text is null && form.Files.GetFile(ConfigPart) is { } file)
        {
            if (file.Length > MaxConfigBytes) return (null, null, Problems.TooLarge(MaxConfigBytes));
            using var reader = new StreamReader(file.OpenReadStream());
            text = await reader.ReadToEndAsync(cancel);
        }
        if (string.IsNullOrWhiteSpace(text))
            return (null, null, Problems.BadRequest($"Send the image config as JSON in a part named '{ConfigPart}', e.g. {{\"preprocess\":{{\"resize\":[640,640],\"mode\":\"letterbox\"}},\"labels\":[\"ok\",\"defect\"]}}; or upload the bare ONNX file as application/octet-stream."));
        try
        {
            return JsonSerializer.Deserialize<ModelConfigDraft>(text, JsonBody.Options) is { } draft
                ? (model.OpenReadStream(), draft, null)
                : (null, null, Problems.BadRequest($"Part '{ConfigPart}' is JSON null; send an object."));
        }
        catch (JsonException ex)
        {
            return (null, null, Problems.Of(400, "The model config is not valid", $"Part '{ConfigPart}' is not a valid config at config{ex.Path?.TrimStart('$')}: {ex.Message}"));
        }
    }
}
