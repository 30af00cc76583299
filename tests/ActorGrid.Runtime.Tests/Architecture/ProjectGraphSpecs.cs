using System.Xml.Linq;

namespace ActorGrid.Runtime.Tests.Architecture;

// The rooms of src/ and the one direction their references run in (docs/ARCHITECTURE.md):
// Protocol ← Placement ← Core / Worker ← Gateway ← Node, with Hosting and Transfer low beside
// Protocol and Placement. A project may reference only projects of a lower rank; Core and Worker
// share one, so neither may reference the other. ONNX Runtime belongs to the worker alone.
public sealed class ProjectGraphSpecs
{
    private static readonly IReadOnlyDictionary<string, int> Rank = new Dictionary<string, int>
    {
        ["ActorGrid.Protocol"] = 0,
        ["ActorGrid.Cli"] = 0, // talks to the gateway over HTTP only
        ["ActorGrid.Placement"] = 1,
        ["ActorGrid.Hosting"] = 1,
        ["ActorGrid.Transfer"] = 2,
        ["ActorGrid.Sim"] = 2,
        ["ActorGrid.Core"] = 3,
        ["ActorGrid.Worker"] = 3,
        ["ActorGrid.Gateway"] = 4,
        ["ActorGrid.Node"] = 5,
        ["ActorGrid.Bench"] = 6, // starts ActorGrid.Node as a real process
    };

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Graph = ReadGraph();

    [Fact]
    public void Should_give_every_project_under_src_a_rank()
    {
        var unranked = Graph.Keys.Where(p => !Rank.ContainsKey(p)).ToList();
        Assert.True(unranked.Count == 0,
            $"Give {string.Join(", ", unranked)} a rank in ProjectGraphSpecs.Rank (and a room in docs/ARCHITECTURE.md).");
    }

    [Fact]
    public void Should_reference_only_projects_of_a_lower_rank()
    {
        var against = Graph
            .SelectMany(p => p.Value.Select(r => (From: p.Key, To: r)))
            .Where(e => Rank.TryGetValue(e.From, out var from) && Rank.TryGetValue(e.To, out var to) && to >= from)
            .Select(e => $"{e.From} (rank {Rank[e.From]}) → {e.To} (rank {Rank[e.To]})")
            .ToList();
        Assert.True(against.Count == 0,
            "References against the direction Protocol ← Placement ← Core/Worker ← Gateway ← Node: " + string.Join("; ", against) +
            ". Move the type the reference is for down into a project both can reach, or up into the one that composes them.");
    }

    [Fact]
    public void Should_have_no_reference_cycle()
    {
        var state = new Dictionary<string, bool>(); // false: on the path, true: done
        var path = new Stack<string>();
        List<string>? cycle = null;
        void Visit(string project)
        {
            if (cycle is not null || state.TryGetValue(project, out var done) && done) return;
            if (state.ContainsKey(project))
            {
                cycle = [.. path.Reverse().SkipWhile(p => p != project), project];
                return;
            }
            state[project] = false;
            path.Push(project);
            foreach (var reference in Graph.GetValueOrDefault(project, [])) Visit(reference);
            path.Pop();
            state[project] = true;
        }
        foreach (var project in Graph.Keys.Order()) Visit(project);
        Assert.True(cycle is null, "Project references form a cycle: " + string.Join(" → ", cycle ?? []));
    }

    [Fact]
    public void Should_reference_onnx_runtime_from_the_worker_only()
    {
        var root = RepositoryRoot();
        var referencing = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(root, "Directory.*.props"))
            .Where(file => PackageReferences(file).Any(p => p.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.OrdinalIgnoreCase)))
            .Select(file => Path.GetFileNameWithoutExtension(file))
            .ToList();
        Assert.Equal(["ActorGrid.Worker"], referencing);
    }

    // The product decodes frames with SkiaSharp in Worker/Inference/Images; the benchmark alone
    // also carries the decoders it was measured against.
    [Fact]
    public void Should_reference_image_decoders_from_the_worker_and_the_benchmark_only()
    {
        string[] decoders = ["SkiaSharp", "SixLabors.ImageSharp", "OpenCvSharp4"];
        var root = RepositoryRoot();
        var referencing = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(root, "Directory.*.props"))
            .Select(file => (Project: Path.GetFileNameWithoutExtension(file), Decoders: PackageReferences(file).Where(p => decoders.Any(d => p.StartsWith(d, StringComparison.OrdinalIgnoreCase))).ToList()))
            .Where(r => r.Decoders.Count > 0)
            .ToDictionary(r => r.Project, r => r.Decoders);
        Assert.Equal(["ActorGrid.Bench", "ActorGrid.Worker"], referencing.Keys.Order(StringComparer.Ordinal));
        Assert.All(referencing["ActorGrid.Worker"], p => Assert.StartsWith("SkiaSharp", p));
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> ReadGraph()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        return Directory.GetDirectories(src)
            .SelectMany(dir => Directory.GetFiles(dir, "*.csproj"))
            .ToDictionary(
                file => Path.GetFileNameWithoutExtension(file),
                file => (IReadOnlyList<string>)XDocument.Load(file).Descendants("ProjectReference")
                    .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                    .ToList());
    }

    private static IEnumerable<string> PackageReferences(string file) =>
        XDocument.Load(file).Descendants("PackageReference")
            .Select(r => r.Attribute("Include")?.Value ?? r.Attribute("Update")?.Value ?? "");

    // The test runs from tests/ActorGrid.Runtime.Tests/bin/<configuration>/<framework>/.
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorGrid.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No ActorGrid.sln above {AppContext.BaseDirectory}; the test reads the projects under src/.");
    }
}
