using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ActorGrid.Gateway.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActorGrid.Gateway.Tests.Inference;

// The JSON inference request parser on its own (no grid): numbers as the serializer read them,
// the gateway's strict JSON rules, and the messages a client sees for each kind of mistake.
public class InferRequestReaderSpecs
{
    private static JsonInferRequest Read(string json) => InferRequestReader.Read(Encoding.UTF8.GetBytes(json))!;

    private static InferRequestJsonException Fails(string json) =>
        Assert.Throws<InferRequestJsonException>(() => InferRequestReader.Read(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Should_read_numbers_with_signs_fractions_and_exponents_exactly_as_double_parse_does()
    {
        string[] numbers = ["0", "-0", "1", "-1", "0.5", "-2.25", "1e3", "1E-3", "-4.5e+2", "123456789012345678", "0.1", "3.4028235e38", "1e-320", "12345678901234567890123", "1.7976931348623157e308", "0.000001234", "1e400", "-1e400"];
        using var request = Read($$$$"""{"inputs":{"x":{"shape":[{{{{numbers.Length}}}}],"data":[{{{{string.Join(",", numbers)}}}}]}}}""");

        var data = request.Inputs!["x"]!.Data.ToArray();
        Assert.Equal(numbers.Select(n => double.Parse(n, CultureInfo.InvariantCulture)), data);
        Assert.True(double.IsNegative(data[1]), "-0 keeps its sign");
        Assert.Equal(double.PositiveInfinity, data[^2]); // beyond double's range, as the serializer read it
    }

    [Fact]
    public void Should_round_random_decimals_the_same_way_as_the_full_parser()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var text = (random.Next(4) switch
            {
                0 => (float)(random.NextDouble() * 2 - 1),
                1 => random.NextDouble() * Math.Pow(10, random.Next(-30, 30)),
                2 => -random.Next(),
                _ => Math.Round(random.NextDouble() * 1000, random.Next(0, 8)),
            }).ToString(i % 2 == 0 ? "R" : "E10", CultureInfo.InvariantCulture);
            var expected = double.Parse(text, CultureInfo.InvariantCulture);
            if (InferRequestReader.TryParseShort(Encoding.ASCII.GetBytes(text), out var fast))
                Assert.True(expected.Equals(fast), $"{text}: {fast:R} instead of {expected:R}");
        }
    }

    [Fact]
    public void Should_read_every_field_case_insensitively_and_let_a_later_duplicate_win()
    {
        using var request = Read("""
            {"Inputs":{"a":{"SHAPE":[2,1],"Data":[1,2],"type":"int64"},"b":{"shape":[1],"data":[9]},"a":{"shape":[1,3],"data":[1,2,3]}},
             "originSite":"line-1","SlaMs":80.5,"lane":"realtime","lane":"interactive"}
            """);

        Assert.Equal(["a", "b"], request.Inputs!.Keys);
        Assert.Equal([1L, 3L], request.Inputs["a"]!.Shape!);
        Assert.Equal([1d, 2d, 3d], request.Inputs["a"]!.Data.ToArray());
        Assert.Null(request.Inputs["a"]!.Type);
        Assert.Equal("line-1", request.OriginSite);
        Assert.Equal(80.5, request.SlaMs);
        Assert.Equal("interactive", request.Lane);
    }

    [Fact]
    public void Should_keep_null_and_missing_parts_apart_from_empty_ones()
    {
        using var request = Read("""{"inputs":{"x":null,"y":{"shape":[0],"data":[]},"z":{"shape":null,"data":null}},"slaMs":null}""");

        Assert.Null(request.Inputs!["x"]);
        Assert.True(request.Inputs["y"]!.HasData);
        Assert.Equal(0, request.Inputs["y"]!.Count);
        Assert.False(request.Inputs["z"]!.HasData);
        Assert.Null(request.Inputs["z"]!.Shape);
        Assert.Null(request.SlaMs);
        Assert.Null(InferRequestReader.Read("null"u8));
    }

    [Theory]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":["1"]}}}""", "$.inputs.x.data[0]", "element 0 is the string \"1\"")]
    [InlineData("""{"inputs":{"x":{"shape":[2],"data":[1,null]}}}""", "$.inputs.x.data[1]", "element 1 is null")]
    [InlineData("""{"inputs":{"x":{"shape":[2],"data":[1,true]}}}""", "$.inputs.x.data[1]", "element 1 is a boolean")]
    [InlineData("""{"inputs":{"x":{"shape":[2,2],"data":[[1,2],[3,4]]}}}""", "$.inputs.x.data[0]", "nested arrays are not read")]
    [InlineData("""{"inputs":{"x":{"shape":[1.5],"data":[1]}}}""", "$.inputs.x.shape[0]", "element 0 is the number 1.5")]
    [InlineData("""{"inputs":{"x":{"shape":"1,4","data":[1]}}}""", "$.inputs.x.shape", "not a string")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[1],"dtype":"float32"}}}""", "$.inputs.x.dtype", "'dtype' is not a field of an input tensor")]
    [InlineData("""{"inputs":{"x":[1,2]}}""", "$.inputs.x", "not an array")]
    [InlineData("""{"inputs":[]}""", "$.inputs", "not an array")]
    [InlineData("""{"inputs":{},"slaMs":"80"}""", "$.slaMs", "Expected a number, not the string \"80\"")]
    [InlineData("""{"inputs":{},"originSite":7}""", "$.originSite", "Expected a string, not the number 7")]
    [InlineData("""{"inputs":{},"sla":80}""", "$.sla", "'sla' is not a field of an inference request")]
    [InlineData("""[1,2]""", "$", "must be a JSON object, not an array")]
    public void Should_reject_wrong_types_and_unknown_fields_with_the_path(string json, string path, string reason)
    {
        var error = Fails(json);

        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[1,]}}}""")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[1]}}} // note""")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[1]}}}{}""")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[01]}}}""")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[NaN]}}}""")]
    [InlineData("""{"inputs":{"x":{"shape":[1],"data":[1""")]
    public void Should_reject_what_is_not_strict_json(string json) => Fails(json);

    private static readonly ModelSignature Signature = new(
        [new TensorSpec("image", TensorTypes.Float32, [-1, 2, 2]), new TensorSpec("ids", TensorTypes.Int32, [-1])],
        [new TensorSpec("y", TensorTypes.Float32, [-1])]);

    private static async Task<(InferInput? Input, string? Problem)> ReadRequestAsync(string json, string contentType = "application/json")
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentType = contentType;
        context.Request.ContentLength = bytes.Length;
        var (input, error) = await InferenceWire.ReadAsync(context.Request, Signature, InferenceSettings.Default, CancellationToken.None);
        return (input, error is ProblemHttpResult problem ? $"{problem.StatusCode}: {problem.ProblemDetails.Detail}" : null);
    }

    [Fact]
    public async Task Should_turn_a_valid_request_into_tensors_of_the_declared_types_in_row_major_order()
    {
        var (input, problem) = await ReadRequestAsync("""
            {"inputs":{"image":{"shape":[2,2,2],"data":[0.1,-2,3e-1,4,5,6,7,-8.5]},"ids":{"shape":[3],"data":[1,-2,3e2]}},"originSite":"line-1","slaMs":50}
            """);

        Assert.Null(problem);
        Assert.Equal([2L, 2, 2], input!.Inputs["image"].Shape);
        Assert.Equal([0.1f, -2f, 0.3f, 4f, 5f, 6f, 7f, -8.5f], TensorPayloads.ToFloat32(input.Inputs["image"]));
        Assert.Equal(TensorTypes.Int32, input.Inputs["ids"].Type);
        Assert.Equal([1, -2, 300], MemoryMarshal.Cast<byte, int>(input.Inputs["ids"].Data).ToArray());
        Assert.Equal("line-1", input.OriginSite);
        Assert.Equal(50, input.SlaMs);
    }

    [Theory]
    [InlineData("""{"inputs":{"image":{"shape":[1,2,2],"data":[1,2,3]}}}""", "400: Input 'image' has 3 values but shape [1,2,2] needs 4.")]
    [InlineData("""{"inputs":{"image":{"shape":[1,2,2],"data":[1,2,3,4,5]}}}""", "400: Input 'image' has 5 values but shape [1,2,2] needs 4.")]
    [InlineData("""{"inputs":{"image":{"shape":[1,0,2],"data":[]}}}""", "400: Input 'image' shape [1,0,2] has a dimension that is not positive.")]
    [InlineData("""{"inputs":{"image":{"shape":[1,2,2]}}}""", "400: Input 'image' needs 'data', or a file part named 'image'")]
    [InlineData("""{"inputs":{"image":null}}""", "400: Input 'image' needs both 'shape' and 'data'.")]
    [InlineData("""{"inputs":{"ids":{"shape":[1],"data":[3000000000]}}}""", "400: Input 'ids' has a value out of range for int32.")]
    [InlineData("""{"inputs":{"ids":{"shape":[1],"data":[1],"type":"uint8"}}}""", "400: Input 'ids' type 'uint8' is not supported")]
    [InlineData("""{"inputs":{"z":{"shape":[1],"data":[1]}}}""", "400: The model has no input 'z'; its inputs are: image, ids.")]
    [InlineData("""{"inputs":{}}""", "400: Send 'inputs', e.g.")]
    [InlineData("""{"inputs":{"ids":{"shape":[1],"data":[1]}},"lane":"batch"}""", "400: Lane 'batch' is not served by inference")]
    [InlineData("""{"inputs":{"ids":{"shape":[1],"data":[1]}},"slaMs":-1}""", "400: slaMs must be a number of milliseconds")]
    [InlineData("""{"inputs":{"ids":{"shape":[1],"data":["1"]}}}""", "400: The body is not valid JSON for this request at $.inputs.ids.data[0]:")]
    [InlineData("null", "400: The request body is JSON null; send a JSON object.")]
    [InlineData("", "400: The request body is empty; send a JSON object.")]
    public async Task Should_answer_each_mistake_with_its_precise_problem(string json, string expected)
    {
        var (input, problem) = await ReadRequestAsync(json);

        Assert.Null(input);
        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public async Task Should_refuse_other_media_types_and_bodies_over_the_limit()
    {
        Assert.StartsWith("415:", (await ReadRequestAsync("{}", "text/plain")).Problem);

        var context = new DefaultHttpContext();
        var big = Encoding.UTF8.GetBytes($$$$"""{"inputs":{"ids":{"shape":[1],"data":[{{{{new string('1', 300)}}}}]}}}""");
        context.Request.Body = new MemoryStream(big);
        context.Request.ContentType = "application/json";
        var settings = InferenceSettings.Default with { MaxRequestBytes = 100 };
        var (_, error) = await InferenceWire.ReadAsync(context.Request, Signature, settings, CancellationToken.None);
        Assert.Equal(413, Assert.IsType<ProblemHttpResult>(error).StatusCode);
    }
}
