using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Gateway;

// GET /v1/tasks and GET /v1/operator/tasks?tenant= page newest first: each full page names the
// next in its Link header, and following the links reads every task once.
[Collection(EmbeddedGridCollection.Name)]
public class TaskListingSpecs(EmbeddedGridFixture grid)
{
    [Fact]
    public async Task Should_page_a_tenants_tasks_newest_first_and_read_each_once_by_following_the_links()
    {
        var key = await grid.Api.CreateTenantAsync(EmbeddedGridFixture.AdminToken, "page-" + Guid.NewGuid().ToString("n")[..10], []);
        var submitted = new List<string>();
        for (var i = 0; i < 7; i++) submitted.Add(Tasks.Id((await grid.Api.SubmitTaskAsync(key, Tasks.Shell("true"))).Body));

        var pages = await ReadAllPagesAsync("/v1/tasks?limit=3", key);
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(submitted), pages.SelectMany(p => p));

        // A task submitted mid-walk does not shift the pages still to come.
        var (_, first, next) = await grid.Api.GetPageAsync("/v1/tasks?limit=3", key);
        var late = Tasks.Id((await grid.Api.SubmitTaskAsync(key, Tasks.Shell("true"))).Body);
        var rest = await ReadAllPagesAsync(next!, key);
        Assert.Equal(Enumerable.Reverse(submitted).Skip(3), rest.SelectMany(p => p));
        Assert.Equal(late, Ids(await grid.Api.GetPageAsync("/v1/tasks?limit=1", key)).Single());

        // The operator sees the same pages of one tenant; across tenants a cursor is refused.
        var tenant = await TenantOfAsync(key, late);
        var operatorPages = await ReadAllPagesAsync($"/v1/operator/tasks?tenant={tenant}&limit=5", EmbeddedGridFixture.AdminToken);
        Assert.Equal([5, 3], operatorPages.Select(p => p.Count));
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.GetPageAsync("/v1/operator/tasks?cursor=3", EmbeddedGridFixture.AdminToken)).Status);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    public async Task Should_refuse_a_cursor_no_page_handed_out(string cursor)
    {
        var (status, problem, _) = await grid.Api.GetPageAsync($"/v1/tasks?cursor={Uri.EscapeDataString(cursor)}", grid.AcmeKey);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("X-Next-Cursor", problem!["detail"]!.GetValue<string>());
    }

    private async Task<List<List<string>>> ReadAllPagesAsync(string path, string bearer)
    {
        var pages = new List<List<string>>();
        for (string? next = path; next is not null && pages.Count < 20;)
        {
            var page = await grid.Api.GetPageAsync(next, bearer);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            pages.Add(Ids(page));
            next = page.Next;
        }
        return pages;
    }

    private static List<string> Ids((HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, string? Next) page) =>
        [.. page.Body!.AsArray().Select(t => Tasks.Id(t))];

    private async Task<string> TenantOfAsync(string key, string taskId) => (await grid.Api.GetTaskAsync(key, taskId))["tenant"]!.GetValue<string>();
}
