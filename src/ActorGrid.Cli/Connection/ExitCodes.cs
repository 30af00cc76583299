namespace ActorGrid.Cli.Connection;

// What `actorgrid` returns, for scripts. Listed in `actorgrid --help` too.
public static class ExitCodes
{
    public const int Ok = 0;
    // The gateway answered and said no: unknown id, invalid value, conflict, or the grid not answering.
    public const int Refused = 1;
    // The command line itself is wrong; nothing was sent.
    public const int Usage = 2;
    // No conversation was possible: the gateway is unreachable, or the operator token is missing or wrong.
    public const int Unreachable = 3;

    public const string Help = "Exit codes: 0 ok, 1 the grid said no (not found, invalid, conflict), 2 usage error, 3 cannot connect or the operator token was refused.";
}

// A failed command: one line that says what to do, and the exit code scripts see.
public sealed class CommandFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
