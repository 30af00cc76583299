using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Inference;

// One embedded grid for the inference specs, with two tenants and a 2 MiB model size limit so
// the too-large case needs no big upload (and a 1 MiB camera frame limit, for the same reason).
public sealed class InferenceGridFixture() : TwoTenantGridFixture("inference", AdminToken)
{
    public const string AdminToken = "inference-operator-token";

    protected override async Task<IReadOnlyList<string>> ExtraArgumentsAsync()
    {
        var config = Path.Combine(Directory.Path, "inference.hocon");
        await File.WriteAllTextAsync(config, "actorgrid.inference { max-model-bytes = 2MiB, max-request-bytes = 4MiB, max-queue-delay = 5ms, images { max-bytes = 1MiB } }");
        return ["--config", config];
    }
}

[CollectionDefinition(Name)]
public sealed class InferenceGridCollection : ICollectionFixture<InferenceGridFixture>
{
    public const string Name = "inference grid";
}
