using System.Net;
using ActorGrid.Grid.Tests.Dashboard;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

// An embedded grid of its own: this spec tampers with its audit table.
public sealed class CalibrationGridFixture() : TwoTenantGridFixture("calibration", "calibration-token");

// The calibration report of a model's inferences: JSON for machines, HTML a lab prints on A4,
// rendered in a real Chromium, with the hash-chain check that turns to INVALID once a record in
// the database is changed behind the grid's back.
public sealed class CalibrationReportSpecs(CalibrationGridFixture grid, ITestOutputHelper output) : IClassFixture<CalibrationGridFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_report_a_models_inferences_with_their_hashes_and_a_chain_check_that_sees_tampering()
    {
        var uploaded = await grid.Api.UploadOkAsync(grid.AcmeKey, "dial", TestModels.Elementwise());
        float[][] inputs = [[1, 2, 3, 4], [0, 0, 0, 1], [-1, 5, 9, 2]];
        foreach (var x in inputs)
            Assert.Equal(HttpStatusCode.OK, (await grid.Api.InferAsync(grid.AcmeKey, "dial", Request("x", [1, 4], x, slaMs: 10_000))).Status);
        await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "dial", 3, Long);

        var (status, report) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/report?model=dial&format=json", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("cal-", report!["reportId"]!.GetValue<string>());
        Assert.Equal(uploaded["sha256"]!.GetValue<string>(), report["versions"]![0]!["sha256"]!.GetValue<string>());
        Assert.Equal(inputs.Select(x => InputDigest("x", [1, 4], x)), report["inferences"]!.AsArray().Select(r => r!["inputSha256"]!.GetValue<string>()));
        Assert.True(report["chain"]!["valid"]!.GetValue<bool>());
        Assert.Equal(3, report["summary"]!["answered"]!.GetValue<int>());
        // The same trail gives the same id; another tenant sees nothing of this one's.
        var again = (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/report?model=dial", grid.AcmeKey, null)).Body!;
        Assert.Equal(report["reportId"]!.GetValue<string>(), again["reportId"]!.GetValue<string>());
        var other = (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/report?model=dial", grid.GlobexKey, null)).Body!;
        Assert.Empty(other["inferences"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/report", grid.AcmeKey, null)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/report?model=dial&format=pdf", grid.AcmeKey, null)).Status);

        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = await browser.Context.NewPageAsync();
        await page.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["Authorization"] = "Bearer " + grid.AcmeKey });
        var url = new Uri(grid.Grid.HttpBase, "/v1/audit/report?model=dial&format=html").ToString();
        await page.GotoAsync(url);
        Assert.Contains("VALID", await page.InnerTextAsync("#chain-verdict"));
        Assert.DoesNotContain("INVALID", await page.InnerTextAsync("#chain-verdict"));
        Assert.Equal(report["reportId"]!.GetValue<string>(), await page.InnerTextAsync("#report-id"));
        Assert.Equal(3, await page.Locator("text=" + report["inferences"]![0]!["inputSha256"]!.GetValue<string>()).CountAsync()
            + await page.Locator("text=" + report["inferences"]![1]!["inputSha256"]!.GetValue<string>()).CountAsync()
            + await page.Locator("text=" + report["inferences"]![2]!["inputSha256"]!.GetValue<string>()).CountAsync());
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4", PrintBackground = true });
        Assert.True(pdf.Length > 1000 && System.Text.Encoding.ASCII.GetString(pdf, 0, 5) == "%PDF-");
        var shot = Path.Combine(DashboardBrowser.ArtifactsDirectory, "calibration-report.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        output.WriteLine($"report {report["reportId"]} rendered: {shot}, A4 PDF {pdf.Length} bytes");

        // Change one record's latency in the database, as someone with disk access might.
        using (var db = new SqliteConnection($"Data Source={Path.Combine(grid.Directory.Path, "data", "actorgrid.db")}"))
        {
            db.Open();
            using var tamper = db.CreateCommand();
            tamper.CommandText = "UPDATE inference_audit SET latency_ms = 0.001 WHERE tenant = 'acme' AND seq = 2";
            Assert.Equal(1, tamper.ExecuteNonQuery());
        }
        await page.ReloadAsync();
        var verdict = await page.InnerTextAsync("#chain-verdict");
        output.WriteLine(verdict);
        Assert.Contains("INVALID at record 2", verdict);
    }
}
