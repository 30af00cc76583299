using System.Globalization;
using System.Text;

namespace ActorGrid.Grid.Tests.Dashboard;

public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

// The Prometheus text exposition format (version 0.0.4), parsed as a scraper would: one sample
// per line, '#' lines for HELP and TYPE.
public sealed class PrometheusText
{
    private PrometheusText(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    // Metric family name → counter, gauge, histogram, …
    public IReadOnlyDictionary<string, string> Types { get; }

    // The sum over samples of that name whose labels include every given pair (0 when none match).
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    public bool Has(string name, params (string Label, string Value)[] labels) =>
        Samples.Any(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                types[parts[2]] = parts[3];
                continue;
            }
            if (line[0] == '#') continue;
            samples.Add(ParseSample(line));
        }
        return new PrometheusText(samples, types);
    }

    private static PrometheusSample ParseSample(string line)
    {
        var labels = new Dictionary<string, string>();
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq].Trim(' ', ',');
                i = eq + 2; // past ="
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else value.Append(line[i]);
                    i++;
                }
                labels[key] = value.ToString();
                i++; // past the closing quote
                if (line[i] == ',') i++;
            }
            i++; // past }
        }
        var rest = line[i..].Trim().Split(' ');
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, number);
    }
}
