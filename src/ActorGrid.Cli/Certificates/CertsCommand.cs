using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using ActorGrid.Cli.Connection;

namespace ActorGrid.Cli.Certificates;

// `actorgrid certs init --out <dir> --hosts a,b,c`: the files a TLS cluster needs, made on the
// operator's machine with no gateway involved. A folder that already holds a CA keeps it, and
// hosts that already have a certificate keep theirs, so running it again with one more host
// issues just that host's certificate.
public static class CertsCommand
{
    public const string PasswordVariable = "ACTORGRID_TLS_PASSWORD";

    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder for ca.crt, ca.key and one <host>.pfx per host (created if missing).", Required = true };
        var hosts = new Option<string>("--hosts")
        {
            Description = "Comma-separated hosts: a name or IP each (node-a, 10.0.0.5), or name=alias+alias (node-a=10.0.0.5+node-a.lan) " +
                          "to name the file and list every name and address peers reach it by (the certificate's SANs).",
            Required = true,
        };
        // A name of its own by default, so that a refusal ("issued by …, not by …") tells two clusters' CAs apart.
        var caName = new Option<string>("--ca-name")
        {
            Description = "Common name of a new CA (default: ActorGrid cluster CA <random id>).",
            DefaultValueFactory = _ => "ActorGrid cluster CA " + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)).ToLowerInvariant(),
        };
        var days = new Option<int>("--days") { Description = "Validity of the host certificates in days (the CA's is ten years).", DefaultValueFactory = _ => 825 };

        var init = new Command("init",
            $"Create the cluster CA (ca.crt to give every host, ca.key to keep safe) and a certificate per host (<host>.pfx, " +
            $"encrypted with ${PasswordVariable}, empty when unset). Start each host with --tls-cert <host>.pfx --tls-ca ca.crt.")
        {
            output, hosts, caName, days,
        };
        init.SetAction(async (result, cancel) =>
        {
            try
            {
                var names = result.GetValue(hosts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(HostName.Parse).ToList();
                if (names.Count == 0) throw new ArgumentException("--hosts names no host.");
                if (result.GetValue(days) is < 1 or > 3650) throw new ArgumentException("--days must be between 1 and 3650.");
                await InitAsync(result.GetValue(output)!, names, result.GetValue(caName)!, TimeSpan.FromDays(result.GetValue(days)), cancel);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync("actorgrid: " + ex.Message);
                return ex is ArgumentException ? ExitCodes.Usage : ExitCodes.Refused;
            }
        });
        return new Command("certs", "Mutual-TLS files for the cluster's remoting: init.") { init };
    }

    private static async Task InitAsync(string folder, IReadOnlyList<HostName> hosts, string caName, TimeSpan validFor, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var caCrt = Path.Combine(folder, "ca.crt");
        var caKey = Path.Combine(folder, "ca.key");
        using var ca = File.Exists(caCrt)
            ? File.Exists(caKey)
                ? ClusterCertificateAuthority.Load(await File.ReadAllTextAsync(caCrt, cancel), await File.ReadAllTextAsync(caKey, cancel))
                : throw new IOException($"{caCrt} exists but {caKey} does not, so no certificate can be signed by it; use another --out folder.")
            : ClusterCertificateAuthority.Create(caName, TimeSpan.FromDays(3650));
        if (!File.Exists(caCrt))
        {
            await WritePrivateAsync(caKey, ca.KeyPem(), cancel);
            await File.WriteAllTextAsync(caCrt, ca.CertificatePem(), cancel);
            Console.WriteLine($"created CA '{ca.Certificate.Subject}' in {caCrt} (its key {caKey}: keep it off the hosts)");
        }
        else Console.WriteLine($"using the CA in {caCrt} ({ca.Certificate.Subject})");

        var password = Environment.GetEnvironmentVariable(PasswordVariable) ?? "";
        foreach (var host in hosts)
        {
            var pfx = Path.Combine(folder, host.Name + ".pfx");
            if (File.Exists(pfx))
            {
                Console.WriteLine($"kept {pfx} (delete it to issue a new one)");
                continue;
            }
            using var certificate = ca.Issue(host, validFor);
            await WritePrivateAsync(pfx, certificate.Export(X509ContentType.Pkcs12, password), cancel);
            Console.WriteLine($"issued {pfx} for {string.Join(", ", host.Aliases)}, valid until {certificate.NotAfter:yyyy-MM-dd}");
        }
    }

    // Private keys are readable by their owner only.
    private static Task WritePrivateAsync(string path, string text, CancellationToken cancel) =>
        WritePrivateAsync(path, System.Text.Encoding.ASCII.GetBytes(text), cancel);

    private static async Task WritePrivateAsync(string path, byte[] bytes, CancellationToken cancel)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var file = new FileStream(path, options);
        await file.WriteAsync(bytes, cancel);
    }
}
