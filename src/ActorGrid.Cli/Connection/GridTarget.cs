using System.Text.RegularExpressions;

namespace ActorGrid.Cli.Connection;

// Which gateway to talk to: `actorgrid [host:port] …` like pbm, default 127.0.0.1:8080.
public sealed partial record GridTarget(string Host, int Port)
{
    public static readonly GridTarget Default = new("127.0.0.1", 8080);

    [GeneratedRegex(@"^(?:https?://)?(?<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):(?<port>\d{1,5})/?$")]
    private static partial Regex HostPort();

    public Uri BaseAddress => new($"http://{Host}:{Port}/");

    public override string ToString() => $"{Host}:{Port}";

    public static bool TryParse(string text, out GridTarget target)
    {
        target = Default;
        var match = HostPort().Match(text);
        if (!match.Success || !int.TryParse(match.Groups["port"].Value, out var port) || port is < 1 or > 65535) return false;
        target = new GridTarget(match.Groups["host"].Value, port);
        return true;
    }
}
