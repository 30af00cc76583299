using ActorGrid.Worker.Inference;

namespace ActorGrid.Runtime.Tests.Inference;

public class MicroBatchQueueSpecs
{
    private static MicroBatchQueue<string>.Entry Entry(string id, long rows = 1, string group = "", double at = 0, double deadline = 1000) =>
        new(id, rows, group, TimeSpan.FromMilliseconds(at), TimeSpan.FromMilliseconds(deadline));

    [Fact]
    public void Should_hold_a_lone_request_for_the_queue_delay_then_release_it()
    {
        var queue = new MicroBatchQueue<string>(4, TimeSpan.FromMilliseconds(2));
        queue.Enqueue(Entry("a", at: 10));

        Assert.Equal(TimeSpan.FromMilliseconds(12), queue.ReadyAt());
        Assert.Equal(["a"], queue.TakeBatch().Select(e => e.Item));
        Assert.Null(queue.ReadyAt());
    }

    [Fact]
    public void Should_release_at_once_when_a_full_batch_waits_and_keep_arrival_order()
    {
        var queue = new MicroBatchQueue<string>(4, TimeSpan.FromMilliseconds(2));
        foreach (var id in new[] { "a", "b", "c", "d", "e" }) queue.Enqueue(Entry(id));

        Assert.Equal(TimeSpan.Zero, queue.ReadyAt());
        Assert.Equal(["a", "b", "c", "d"], queue.TakeBatch().Select(e => e.Item));
        Assert.Equal(["e"], queue.TakeBatch().Select(e => e.Item));
    }

    [Fact]
    public void Should_only_stack_requests_whose_other_dimensions_match_and_count_rows()
    {
        var queue = new MicroBatchQueue<string>(4, TimeSpan.FromMilliseconds(2));
        queue.Enqueue(Entry("a", rows: 2, group: "8x8"));
        queue.Enqueue(Entry("b", rows: 1, group: "16x16"));
        queue.Enqueue(Entry("c", rows: 2, group: "8x8"));
        queue.Enqueue(Entry("d", rows: 1, group: "8x8"));

        Assert.Equal(["a", "c"], queue.TakeBatch().Select(e => e.Item));
        Assert.Equal(["b"], queue.TakeBatch().Select(e => e.Item));
        Assert.Equal(["d"], queue.TakeBatch().Select(e => e.Item));
        Assert.Equal(0, queue.Rows);
    }

    [Fact]
    public void Should_drop_requests_whose_deadline_passed()
    {
        var queue = new MicroBatchQueue<string>(4, TimeSpan.FromMilliseconds(2));
        queue.Enqueue(Entry("late", deadline: 5));
        queue.Enqueue(Entry("fine", deadline: 50));

        Assert.Equal(["late"], queue.TakeExpired(TimeSpan.FromMilliseconds(6)).Select(e => e.Item));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void Should_predict_the_wait_from_the_batches_ahead()
    {
        var queue = new MicroBatchQueue<string>(4, TimeSpan.FromMilliseconds(2));
        // Empty, idle: own batch (10 ms) plus the batching delay.
        Assert.Equal(12, queue.PredictWaitMs(1, running: false, batchMs: 10));
        for (var i = 0; i < 8; i++) queue.Enqueue(Entry("q" + i));
        // 8 queued + 1 = 3 batches of 4 → 2 ahead, 1 running, plus its own: 4 × 10 ms.
        Assert.Equal(40, queue.PredictWaitMs(1, running: true, batchMs: 10));
    }
}
