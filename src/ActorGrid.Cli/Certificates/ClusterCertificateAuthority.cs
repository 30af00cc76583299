using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorGrid.Cli.Certificates;

// The cluster's own CA: one self-signed root whose only job is to sign host certificates, so
// that every host trusts exactly the hosts this operator issued a certificate to and nobody else
// (not the OS trust store). Keys are ECDSA P-256: small, fast handshakes, supported by SslStream
// on every platform .NET runs on.
public sealed class ClusterCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2 Certificate { get; }

    private ClusterCertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    public static ClusterCertificateAuthority Create(string name, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}"), key, HashAlgorithmName.SHA256);
        // Path length 0: this CA signs host certificates only, never another CA.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new ClusterCertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now + validFor));
    }

    // An existing CA from ca.crt and its key ca.key (PEM), to issue certificates for more hosts.
    public static ClusterCertificateAuthority Load(string certificatePem, string keyPem) =>
        new(X509Certificate2.CreateFromPem(certificatePem, keyPem));

    // One host's certificate: its names and addresses as subject alternative names, usable both
    // to accept connections (serverAuth) and to make them (clientAuth), as every cluster member does.
    public X509Certificate2 Issue(HostName host, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={host.Name}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var alias in host.Aliases)
        {
            if (IPAddress.TryParse(alias, out var ip)) names.AddIpAddress(ip);
            else names.AddDnsName(alias);
        }
        request.CertificateExtensions.Add(names.Build());

        var now = DateTimeOffset.UtcNow;
        var notAfter = now + validFor < Certificate.NotAfter ? now + validFor : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        using var signed = request.Create(Certificate, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    public string CertificatePem() => Certificate.ExportCertificatePem();

    public string KeyPem() =>
        Certificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem()
        ?? throw new InvalidOperationException("The CA certificate has no private key to export.");

    public void Dispose() => Certificate.Dispose();
}

// A host as `certs init --hosts` names it: "node-a", "10.0.0.5", or "node-a=10.0.0.5+node-a.lan"
// (the file name, then every name and address its peers may reach it by).
public sealed record HostName(string Name, IReadOnlyList<string> Aliases)
{
    public static HostName Parse(string text)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        var name = parts[0];
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', ' ', ',']) >= 0 || name is "." or ".." or "ca")
            throw new ArgumentException($"'{text}' is not a host name: use node-a, 10.0.0.5 or node-a=10.0.0.5+node-a.lan.");
        var aliases = parts.Length == 1
            ? [name]
            : parts[1].Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Prepend(name).Distinct().ToList();
        foreach (var alias in aliases)
            if (!IPAddress.TryParse(alias, out _) && Uri.CheckHostName(alias) != UriHostNameType.Dns)
                throw new ArgumentException($"'{alias}' (in '{text}') is neither a DNS name nor an IP address.");
        return new HostName(name, aliases);
    }
}
