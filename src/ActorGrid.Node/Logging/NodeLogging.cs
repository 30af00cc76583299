using System.CommandLine;
using System.Text.Json;
using ActorGrid.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Node.Logging;

// How the host writes its log: one line a record, text for people or JSON for log shippers; and
// how much. By default the console starts with the lines an operator needs (ActorGrid's own:
// addresses, roles, journal, node, where the token is) and after that warnings, errors and
// ActorGrid's own information; Akka's and ASP.NET Core's informational chatter only with --verbose.
public sealed record NodeLogging(string Format, bool Verbose)
{
    public const string Text = "text";
    public const string Json = "json";
    public static readonly NodeLogging Default = new(Text, Verbose: false);

    public static readonly Option<string> FormatOption = new Option<string>("--log-format")
    {
        Description = "Log lines on stdout: text (one line each) or json (one JSON object a line, for log shippers).",
        DefaultValueFactory = _ => Text,
    }.AcceptOnlyFromAmong(Text, Json);

    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Also log Akka's and ASP.NET Core's informational messages (remoting, membership, singletons, sharding, hosting).",
    };

    public static NodeLogging From(ParseResult result) => new(result.GetValue(FormatOption) ?? Text, result.GetValue(VerboseOption));


    public void Apply(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (Format == Json)
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        else
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true; // task, node and tenant ids on request log lines
                o.TimestampFormat = "HH:mm:ss ";
            });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The gateway's bearer schemes (ASP.NET's handler base) log every refused credential and
        // challenge at Information; a 401 is the caller's to read, not a line for the operator.
        logging.AddFilter("ActorGrid.Gateway.Auth", LogLevel.Warning);
        if (Verbose) return;
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Akka", LogLevel.Warning);
        // A developer's figure, not an operator's: how long the infer readers took to warm up.
        logging.AddFilter("ActorGrid.Gateway.Inference.InferencePathWarmUp", LogLevel.Warning);
    }
}

public static class NodeLoggingSetup
{
    // Without --verbose Akka logs at the level of the HOCON files (akka.loglevel, WARNING by default).
    public static AkkaConfigurationBuilder WithNodeLogging(this AkkaConfigurationBuilder akka, NodeLogging logging) =>
        logging.Verbose ? akka.WithGridLogLevel("INFO") : akka;
}
