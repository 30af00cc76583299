using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Placement;

// How far apart two sites are, when no explicit link says otherwise. The classes follow the
// public figures for China's computing power network: 1 ms within a city, 5 ms within a province,
// 7 ms across regions, 10 ms to a national hub.
public enum SiteDistance
{
    SameSite,
    SameCity,
    SameProvince,
    CrossRegion,
    NationalHub,
    Unknown,
}

public readonly record struct LinkProfile(double LatencyMs, double BandwidthMbps)
{
    // Milliseconds to move `megabytes` over this link; 0 MB costs nothing.
    public double TransferMs(double megabytes) => megabytes <= 0 ? 0 : megabytes * 8.0 / BandwidthMbps * 1000.0;
}

public sealed record TopologySite(string Name, string Tier, string? City = null, string? Province = null);

// An explicit, symmetric link between two sites; it wins over the distance-class defaults.
public sealed record TopologyLink(string From, string To, double LatencyMs, double? BandwidthMbps = null);

// One-way latency and bandwidth between sites. Immutable: build once, share freely.
public sealed class Topology
{
    public static readonly IReadOnlyDictionary<SiteDistance, LinkProfile> PublicFigures = new Dictionary<SiteDistance, LinkProfile>
    {
        [SiteDistance.SameSite] = new(0.1, 10_000),
        [SiteDistance.SameCity] = new(1, 1_000),
        [SiteDistance.SameProvince] = new(5, 1_000),
        [SiteDistance.CrossRegion] = new(7, 500),
        [SiteDistance.NationalHub] = new(10, 200),
        [SiteDistance.Unknown] = new(10, 100),
    };

    public static readonly Topology Empty = new([], PublicFigures, []);

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly TopologySite[] _sites;
    private readonly LinkProfile[] _defaults;
    private readonly int[] _city;
    private readonly int[] _province;
    private readonly bool[] _hub;
    private readonly int[] _tierRank;
    private readonly bool[] _hasLinks;
    private readonly Dictionary<long, LinkProfile> _links = new();

    public Topology(IEnumerable<TopologySite> sites, IReadOnlyDictionary<SiteDistance, LinkProfile> defaults, IEnumerable<TopologyLink> links)
    {
        _sites = sites.ToArray();
        _defaults = new LinkProfile[Enum.GetValues<SiteDistance>().Length];
        foreach (var distance in Enum.GetValues<SiteDistance>())
            _defaults[(int)distance] = defaults.TryGetValue(distance, out var d) ? d : PublicFigures[distance];

        var cities = new Dictionary<string, int>(StringComparer.Ordinal);
        var provinces = new Dictionary<string, int>(StringComparer.Ordinal);
        _city = new int[_sites.Length];
        _province = new int[_sites.Length];
        _hub = new bool[_sites.Length];
        _tierRank = new int[_sites.Length];
        _hasLinks = new bool[_sites.Length];
        for (var i = 0; i < _sites.Length; i++)
        {
            var site = _sites[i];
            if (!_index.TryAdd(site.Name, i)) throw new ArgumentException($"site '{site.Name}' is declared twice");
            _city[i] = Intern(cities, site.City);
            _province[i] = Intern(provinces, site.Province);
            _hub[i] = site.Tier == Tiers.Hub;
            _tierRank[i] = TierRank(site.Tier);
        }

        foreach (var link in links)
        {
            var a = IndexOf(link.From);
            var b = IndexOf(link.To);
            if (a < 0 || b < 0) throw new ArgumentException($"link {link.From} - {link.To} names a site that is not declared");
            var profile = new LinkProfile(link.LatencyMs, link.BandwidthMbps ?? ByClass(a, b).BandwidthMbps);
            _links[Key(a, b)] = profile;
            _links[Key(b, a)] = profile;
            _hasLinks[a] = _hasLinks[b] = true;
        }
    }

    public IReadOnlyList<TopologySite> Sites => _sites;

    public LinkProfile Default(SiteDistance distance) => _defaults[(int)distance];

    // -1 when the site is not declared: its links then fall back to the Unknown default.
    public int IndexOf(string? site) => site is not null && _index.TryGetValue(site, out var i) ? i : -1;

    public TopologySite? Site(string site) => IndexOf(site) is var i and >= 0 ? _sites[i] : null;

    // Rank of the tier a site is declared at; sites not declared are taken to be at the edge,
    // which is where undeclared data sources (a factory line) usually are.
    public int SiteTierRank(int site) => site >= 0 ? _tierRank[site] : TierRank(Tiers.Edge);

    public SiteDistance Distance(string from, string to) => Distance(IndexOf(from), IndexOf(to), from == to);

    public LinkProfile Link(string from, string to) => Link(IndexOf(from), IndexOf(to), from == to);

    // The hot-path form: indexes from IndexOf, plus whether the names are equal (for sites the
    // topology does not declare).
    public LinkProfile Link(int from, int to, bool sameName)
    {
        if (from >= 0 && to >= 0)
        {
            if ((_hasLinks[from] || _hasLinks[to]) && _links.TryGetValue(Key(from, to), out var link)) return link;
            return ByClass(from, to);
        }
        return _defaults[(int)(sameName ? SiteDistance.SameSite : SiteDistance.Unknown)];
    }

    public SiteDistance Distance(int from, int to, bool sameName)
    {
        if (from < 0 || to < 0) return sameName ? SiteDistance.SameSite : SiteDistance.Unknown;
        if (from == to) return SiteDistance.SameSite;
        if (_hub[from] || _hub[to]) return SiteDistance.NationalHub;
        if (_city[from] >= 0 && _city[from] == _city[to]) return SiteDistance.SameCity;
        if (_province[from] >= 0 && _province[from] == _province[to]) return SiteDistance.SameProvince;
        return SiteDistance.CrossRegion;
    }

    public static int TierRank(string tier) => tier switch
    {
        Tiers.Device => 0,
        Tiers.Edge => 1,
        Tiers.Regional => 2,
        Tiers.Hub => 3,
        _ => 1,
    };

    private LinkProfile ByClass(int from, int to) => _defaults[(int)Distance(from, to, false)];

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    private static int Intern(Dictionary<string, int> ids, string? name)
    {
        if (string.IsNullOrEmpty(name)) return -1;
        if (!ids.TryGetValue(name, out var id)) ids[name] = id = ids.Count;
        return id;
    }
}
