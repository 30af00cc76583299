using System.Text.Json;
using ActorGrid.Protocol;
using ActorGrid.Transfer.Blobs;

namespace ActorGrid.Transfer.Bundles;

// Bundles a gateway accepted: the bytes once, content-addressed (<data>/bundles/blobs/<sha256>.tar,
// gzipped or not), and per tenant a small record that the tenant uploaded them
// (<data>/bundles/owners/<tenant>/<sha256>.json). Two tenants uploading the same bytes share the
// file but not the ownership: a tenant without a record does not see the bundle at all.
public sealed class BundleStore : BlobStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _owners;

    public BundleStore(string dataDirectory) : base(Path.Combine(dataDirectory, "bundles"), ".tar")
    {
        _owners = Path.Combine(dataDirectory, "bundles", "owners");
        Directory.CreateDirectory(_owners);
    }

    public sealed record Owned(string Sha256, long SizeBytes, DateTimeOffset UploadedAt);

    private string OwnerFile(TenantId tenant, string sha256) => Path.Combine(_owners, tenant.Value, sha256 + ".json");

    // The tenant's bundle, when it uploaded one with this hash and its bytes are still here.
    public Owned? Find(TenantId tenant, string sha256)
    {
        if (!IsSha256(sha256) || !Has(sha256)) return null;
        var file = OwnerFile(tenant, sha256);
        if (!File.Exists(file)) return null;
        try
        {
            return JsonSerializer.Deserialize<Owned>(File.ReadAllBytes(file), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    // Records that the tenant owns the committed bundle; false when it already did (a repeated upload).
    public bool Own(TenantId tenant, string sha256, long sizeBytes, DateTimeOffset now)
    {
        var file = OwnerFile(tenant, sha256);
        if (File.Exists(file)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = file + "." + Guid.NewGuid().ToString("n") + ".part";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(new Owned(sha256, sizeBytes, now), Json));
        try
        {
            File.Move(temp, file, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(temp); // the same upload, a moment earlier
            return false;
        }
    }
}
