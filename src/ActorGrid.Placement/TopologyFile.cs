using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorGrid.Placement;

// Reads a topology written by an operator (hocon/topology/*.hocon), HOCON or plain JSON:
//
//   topology {
//     defaults {                      # pairs not listed under links, by distance class
//       same-site     { latency-ms = 0.1, bandwidth-mbps = 10000 }
//       same-city     { latency-ms = 1,   bandwidth-mbps = 1000 }
//       same-province { latency-ms = 5,   bandwidth-mbps = 1000 }
//       cross-region  { latency-ms = 7,   bandwidth-mbps = 500 }
//       national-hub  { latency-ms = 10,  bandwidth-mbps = 200 }
//       unknown       { latency-ms = 10,  bandwidth-mbps = 100 }   # a site not declared below
//     }
//     sites = [ { name = ningbo-f03, tier = edge, city = ningbo, province = zhejiang } ]
//     links = [ { from = ningbo-f03, to = hangzhou-r1, latency-ms = 3, bandwidth-mbps = 1000 } ]
//   }
//
// Every mistake names the file and the key, and unknown keys are mistakes (a misspelt
// `latency_ms` would otherwise silently fall back to a default).
public static class TopologyFile
{
    private static readonly Dictionary<string, SiteDistance> DistanceKeys = new(StringComparer.Ordinal)
    {
        ["same-site"] = SiteDistance.SameSite,
        ["same-city"] = SiteDistance.SameCity,
        ["same-province"] = SiteDistance.SameProvince,
        ["cross-region"] = SiteDistance.CrossRegion,
        ["national-hub"] = SiteDistance.NationalHub,
        ["unknown"] = SiteDistance.Unknown,
    };

    private static readonly HashSet<string> TopologyKeys = new(StringComparer.Ordinal) { "defaults", "sites", "links" };
    private static readonly HashSet<string> ProfileKeys = new(StringComparer.Ordinal) { "latency-ms", "bandwidth-mbps" };
    private static readonly HashSet<string> SiteKeys = new(StringComparer.Ordinal) { "name", "tier", "city", "province" };
    private static readonly HashSet<string> LinkKeys = new(StringComparer.Ordinal) { "from", "to", "latency-ms", "bandwidth-mbps" };

    public static Topology Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Topology file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    // `source` names the text in error messages (normally its file path). Throws FormatException.
    public static Topology Parse(string text, string source)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new FormatException($"Topology '{source}' is not valid HOCON or JSON: {FirstLine(ex.Message)}", ex);
        }

        var r = new HoconFields((key, problem) => new FormatException($"Topology '{source}': {key} {problem}."));
        if (config.IsEmpty || !config.HasPath("topology")) throw r.Error("topology", "is missing; the file must have a `topology { ... }` block");
        var root = r.Object(config.GetValue("topology"), "topology", TopologyKeys);

        var defaults = new Dictionary<SiteDistance, LinkProfile>(Topology.PublicFigures);
        if (root.TryGetValue("defaults", out var defaultsValue) && defaultsValue is { IsEmpty: false })
        {
            var items = r.Object(defaultsValue, "topology.defaults", DistanceKeys.Keys.ToHashSet());
            foreach (var (key, value) in items)
            {
                var path = $"topology.defaults.{key}";
                var profile = r.Object(value, path, ProfileKeys);
                var fallback = Topology.PublicFigures[DistanceKeys[key]];
                defaults[DistanceKeys[key]] = new LinkProfile(
                    Latency(r, profile, path) ?? fallback.LatencyMs,
                    Bandwidth(r, profile, path) ?? fallback.BandwidthMbps);
            }
        }

        var sites = new List<TopologySite>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, path) in r.List(root, "topology", "sites"))
        {
            var site = r.Object(item, path, SiteKeys);
            var name = r.Scalar(site, path, "name") ?? throw r.Error($"{path}.name", "is missing");
            if (name.Length == 0) throw r.Error($"{path}.name", "must not be empty");
            if (!names.Add(name)) throw r.Error($"{path}.name", $"'{name}' is declared twice");
            var tier = r.Tier(site, path) ?? throw r.Error($"{path}.tier", "is missing");
            sites.Add(new TopologySite(name, tier, r.Scalar(site, path, "city"), r.Scalar(site, path, "province")));
        }

        var links = new List<TopologyLink>();
        foreach (var (item, path) in r.List(root, "topology", "links"))
        {
            var link = r.Object(item, path, LinkKeys);
            var from = r.Scalar(link, path, "from") ?? throw r.Error($"{path}.from", "is missing");
            var to = r.Scalar(link, path, "to") ?? throw r.Error($"{path}.to", "is missing");
            if (!names.Contains(from)) throw r.Error($"{path}.from", $"'{from}' is not a site declared under topology.sites");
            if (!names.Contains(to)) throw r.Error($"{path}.to", $"'{to}' is not a site declared under topology.sites");
            var latency = Latency(r, link, path) ?? throw r.Error($"{path}.latency-ms", "is missing");
            links.Add(new TopologyLink(from, to, latency, Bandwidth(r, link, path)));
        }

        return new Topology(sites, defaults, links);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static double? Latency(HoconFields r, IDictionary<string, HoconValue> items, string parent)
    {
        var ms = r.Number<double>(items, parent, "latency-ms");
        if (ms is < 0) throw r.Error($"{parent}.latency-ms", "must not be negative");
        return ms;
    }

    private static double? Bandwidth(HoconFields r, IDictionary<string, HoconValue> items, string parent)
    {
        var mbps = r.Number<double>(items, parent, "bandwidth-mbps");
        if (mbps is <= 0) throw r.Error($"{parent}.bandwidth-mbps", "must be greater than 0");
        return mbps;
    }
}
