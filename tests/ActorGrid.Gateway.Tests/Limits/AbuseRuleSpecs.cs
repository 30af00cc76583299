using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Limits;
using ActorGrid.Gateway.Observability;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Gateway.Tests.Limits;

// The gateway's pure abuse rules on their own (no grid): limits validation, when /metrics wants
// the token, and what counts as the same request under an idempotency key.
public class AbuseRuleSpecs
{
    private static readonly TenantLimits Current = new(200, 400, 10_000);

    [Fact]
    public void Should_fill_limits_left_out_from_the_current_ones()
    {
        var (limits, errors) = LimitsRequestValidation.Validate(new LimitsRequest(null, 500, null), Current);
        Assert.Empty(errors);
        Assert.Equal(new TenantLimits(200, 500, 10_000), limits);
    }

    [Theory]
    [InlineData(0, 10, 10, "submitPerSecond")]
    [InlineData(10_001, 20_000, 10, "submitPerSecond")]
    [InlineData(10, 0, 10, "burst")]
    [InlineData(10, 5, 10, "burst")]
    [InlineData(10, 100_001, 10, "burst")]
    [InlineData(10, 10, 0, "maxQueued")]
    [InlineData(10, 10, 1_000_001, "maxQueued")]
    public void Should_refuse_limits_out_of_range_naming_the_field(int perSecond, int burst, int maxQueued, string field)
    {
        var (limits, errors) = LimitsRequestValidation.Validate(new LimitsRequest(perSecond, burst, maxQueued), Current);
        Assert.Null(limits);
        Assert.Contains(field, errors.Keys);
    }

    [Theory]
    [InlineData("auto", null, false)]
    [InlineData("auto", "127.0.0.1:8080", false)]
    [InlineData("auto", "localhost:8080", false)]
    [InlineData("auto", "[::1]:8080", false)]
    [InlineData("auto", "0.0.0.0:8080", true)]
    [InlineData("auto", "10.1.2.3:8080", true)]
    [InlineData("auto", "gateway.example:8080", true)]
    [InlineData("on", "127.0.0.1:8080", true)]
    [InlineData("off", "0.0.0.0:8080", false)]
    public void Should_want_the_metrics_token_per_setting_and_bind(string setting, string? bind, bool required) =>
        Assert.Equal(required, MetricsAccess.RequiresToken(setting, bind));

    [Fact]
    public void Should_refuse_an_unknown_metrics_token_setting_with_the_choices() =>
        Assert.Contains("auto", Assert.Throws<ArgumentException>(() => MetricsAccess.RequiresToken("maybe", null)).Message);

    [Fact]
    public void Should_fingerprint_requests_by_what_would_run_not_by_env_order()
    {
        var spec = new TaskSpec("process", ["sh", "-c", "echo"], new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }, null, 60,
            new ResourceRequirements(1, 64), Lanes.Batch, 3, []);
        var reordered = spec with { Env = new Dictionary<string, string> { ["B"] = "2", ["A"] = "1" } };
        Assert.Equal(RequestFingerprint.Of(spec), RequestFingerprint.Of(reordered));
        Assert.NotEqual(RequestFingerprint.Of(spec), RequestFingerprint.Of(spec with { Command = ["sh", "-c", "echo 2"] }));
    }

    [Fact]
    public void Should_hash_a_request_without_training_fields_as_it_did_before_they_existed()
    {
        var spec = new TaskSpec("process", ["sh", "-c", "echo"], new Dictionary<string, string>(), null, 60, new ResourceRequirements(1, 64), Lanes.Batch, 3, []);
        var canonical = RequestFingerprint.CanonicalJson(spec);
        Assert.DoesNotContain("workers", canonical);
        Assert.DoesNotContain("\"output\"", canonical);
        Assert.EndsWith("\"expectedDurationSeconds\":null}", canonical);

        var training = spec with { Kind = TaskKinds.Training, Output = new TrainingOutput("m", "model.onnx") };
        Assert.Contains("\"output\":{\"model\":\"m\"", RequestFingerprint.CanonicalJson(training));
        Assert.NotEqual(RequestFingerprint.Of(training), RequestFingerprint.Of(training with { Output = new TrainingOutput("m", "other.onnx") }));
    }
}
