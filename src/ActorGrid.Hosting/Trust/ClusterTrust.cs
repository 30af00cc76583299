using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;

namespace ActorGrid.Hosting.Trust;

// Who may be a member: hosts holding a certificate signed by this cluster's CA (`actorgrid certs
// init`). Akka's DotNetty transport runs mutual TLS and hands every peer certificate, on both
// sides of a connection, to Validate. The chain is built against the cluster CA alone (custom
// root trust), never the OS store: a certificate from a public or another cluster's CA is
// refused, and the CA needs no system-wide install. Host names are not checked (a server cannot
// know which name an inbound client should carry); the CA signature is the identity.
public sealed class ClusterTrust
{
    public const string PasswordVariable = "ACTORGRID_TLS_PASSWORD";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Authority { get; }
    public string CertificateFile { get; }

    private ClusterTrust(X509Certificate2 certificate, X509Certificate2 authority, string certificateFile)
    {
        Certificate = certificate;
        Authority = authority;
        CertificateFile = certificateFile;
    }

    // The host's own certificate and key (a .pfx) and the CA that signed it; fails with a
    // sentence an operator can act on when either is unusable or they do not belong together.
    public static ClusterTrust Load(string certificateFile, string authorityFile, string? password)
    {
        if (!File.Exists(certificateFile)) throw new FileNotFoundException($"--tls-cert file '{certificateFile}' does not exist.");
        if (!File.Exists(authorityFile)) throw new FileNotFoundException($"--tls-ca file '{authorityFile}' does not exist.");
        X509Certificate2 certificate, authority;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password ?? "");
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"--tls-cert '{certificateFile}' cannot be read as a .pfx with the password in ${PasswordVariable} ({ex.Message}).", ex);
        }
        try
        {
            authority = LoadPemCertificate(File.ReadAllText(authorityFile));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new ArgumentException($"--tls-ca '{authorityFile}' is not a PEM certificate ({ex.Message}).", ex);
        }
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"--tls-cert '{certificateFile}' holds no private key; use the <host>.pfx that 'actorgrid certs init' wrote.");
        var trust = new ClusterTrust(certificate, authority, Path.GetFullPath(certificateFile));
        if (trust.Check(certificate) is { } problem)
            throw new ArgumentException($"--tls-cert '{certificateFile}' is not accepted by --tls-ca '{authorityFile}': {problem}");
        return trust;
    }

    // Akka's CertificateValidationCallback. Returning false ends the handshake; the line logged
    // here is the one place that says why a peer was refused.
    public bool Validate(X509Certificate2? peerCertificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (peerCertificate is null)
        {
            log.Warning("Refused cluster peer {0}: it presented no certificate; every host of this cluster needs --tls-cert and --tls-ca", peer);
            return false;
        }
        if (Check(peerCertificate) is not { } problem) return true;
        log.Warning("Refused cluster peer {0}: its certificate '{1}' (issuer '{2}') is not trusted by this cluster's CA '{3}': {4}",
            peer, peerCertificate.Subject, peerCertificate.Issuer, Authority.Subject, problem);
        return false;
    }

    private static X509Certificate2 LoadPemCertificate(string pem)
    {
        var fields = PemEncoding.Find(pem);
        if (!pem.AsSpan()[fields.Label].SequenceEqual("CERTIFICATE"))
            throw new ArgumentException($"expected a CERTIFICATE block, found {pem[fields.Label]}");
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(pem[fields.Base64Data]));
    }

    // Null when the certificate chains to the cluster CA and may act as client and server.
    private string? Check(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        if (chain.Build(certificate)) return null;
        var reasons = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return string.Join("; ", reasons.DefaultIfEmpty("the chain does not end at the cluster CA"));
    }
}
