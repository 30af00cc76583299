using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Training;

// One embedded grid for the training specs: its node declares two NVIDIA A100s (this machine has
// no GPU; declared chips are owned and handed out exactly as detected ones), and room in cpu and
// memory so that chips, not cores, are what runs out.
public sealed class TrainingGridFixture() : TwoTenantGridFixture("training", AdminToken)
{
    public const string AdminToken = "training-operator-token";

    public const string NodeId = "training-gpu-1";

    public const int RankExitGraceSeconds = 3;

    protected override async Task<IReadOnlyList<string>> ExtraArgumentsAsync()
    {
        var node = Path.Combine(Directory.Path, "node.hocon");
        await File.WriteAllTextAsync(node, $$"""
            node {
              id = {{NodeId}}
              tier = edge
              cpu = 8
              memory-mib = 16384
              chips = [ { model = nvidia-a100, count = 2, memory-mib = 40960 } ]
            }
            """);
        // Short, so the spec of a rank that hangs after rank 0 finished does not wait 30 s.
        var config = Path.Combine(Directory.Path, "training.hocon");
        await File.WriteAllTextAsync(config, $"actorgrid.worker.rank-exit-grace = {RankExitGraceSeconds}s");
        return ["--node", node, "--config", config];
    }
}

[CollectionDefinition(Name)]
public sealed class TrainingGridCollection : ICollectionFixture<TrainingGridFixture>
{
    public const string Name = "training grid";
}
