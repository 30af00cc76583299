using System.Diagnostics;
using ActorGrid.Hosting.Observability;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference.Images;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Worker.Inference;

// One model version on one worker: owns its ONNX Runtime session (loaded once, reused), the
// dynamic batcher's queue and the numbers the gateway routes on. Child of InferenceHost, which
// forwards it RunInference so replies go straight back to the gateway's asker. Batches run one
// at a time on the thread pool and come back with PipeTo; the actor itself never blocks.
// Three behaviours: Loading (fetching the blob, opening and warming the session: requests queue as
// cold starts), Ready (requests batch and run), Failed (requests are refused until it retires).
public sealed class ModelRunner : ReceiveActor, IWithTimers
{
    private const string FlushTimer = "flush";
    private const string StatusTimer = "status";
    private readonly ModelRef _model;
    private readonly NodeDescriptor _node;
    private readonly InferenceSettings _settings;
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelBlobStore _store;
    private readonly MicroBatchQueue<Pending> _queue;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly LatencyWindow _latencies = new(256);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private LoadedModel? _loaded;
    private string _state = ModelRunnerStates.Loading;
    private string? _failure;
    private bool _running;
    private int _runningCount;
    private double _batchMs = 1;
    private bool _measured;
    private readonly int _sharingWith; // other models this worker held when this one was created
    private readonly ImageSettings _images;
    private ExecutionTarget _target; // the host's choice until the session opens, then what it runs on

    public ModelRunner(ModelRef model, NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, int sharingWith,
        ImageSettings images, ExecutionTarget target)
    {
        _sharingWith = sharingWith;
        _images = images;
        _target = target;
        _model = model;
        _node = node;
        _settings = settings;
        _sessions = sessions;
        _store = store;
        var maxRows = model.Signature.Batchable ? settings.MaxBatchSize : 1;
        _queue = new MicroBatchQueue<Pending>(maxRows, maxRows > 1 ? settings.MaxQueueDelay : TimeSpan.Zero);

        Loading();
    }

    private void Loading()
    {
        _state = ModelRunnerStates.Loading;
        Common();
        Receive<RunInference>(Enqueue);
        Receive<BlobReady>(ready => OpenSession(ready.Path));
        Receive<LoadFailed>(failed =>
        {
            _failure = failed.Reason;
            _log.Warning("Model {0}@{1} ({2}) could not be loaded: {3}", _model.Name, _model.Version, _model.Sha256, failed.Reason);
            Become(Failed);
            foreach (var e in _queue.TakeAll()) Reject(e.Item, RejectionKinds.Unavailable, LoadFailureReason());
            ReportStatus();
            // Give up the slot after a while so a later request retries (e.g. the blob host is back).
            Timers.StartSingleTimer("retire", PoisonPill.Instance, TimeSpan.FromSeconds(10));
        });
        Receive<Loaded>(loaded =>
        {
            _loaded = loaded.Model;
            if (loaded.Used.Fallback is { } fallback && loaded.Used != _target)
                _log.Warning("Model {0}@{1}: {2}", _model.Name, _model.Version, fallback);
            _target = loaded.Used;
            var warm = loaded.WarmUpProblem is null ? $"{loaded.WarmUpMillis:0} ms" : "skipped: " + loaded.WarmUpProblem;
            var batching = _queue.MaxRows > 1 ? $"max batch {_queue.MaxRows}, delay {_queue.MaxDelay.TotalMilliseconds} ms" : "no";
            _log.Info($"Model {_model.Name}@{_model.Version} loaded in {loaded.Millis:0} ms, warm-up {warm} ({batching} batching, " +
                      $"provider {_target.Describe()}, {_sessions.IntraOpThreadsFor(_sharingWith)} intra-op threads)");
            Become(Ready);
            ReportStatus();
            Dispatch();
        });
    }

    private void Ready()
    {
        _state = ModelRunnerStates.Ready;
        Common();
        Receive<RunInference>(Enqueue);
        Receive<Flush>(_ => Dispatch());
        Receive<BatchDone>(OnBatchDone);
    }

    private void Failed()
    {
        _state = ModelRunnerStates.Failed;
        Common();
        Receive<RunInference>(run => Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, RejectionKinds.Unavailable, LoadFailureReason())));
    }

    // What every behaviour handles first: retirement (nothing new is taken once retiring), preloads
    // (the runner exists, so there is nothing more to do) and status reports.
    private void Common()
    {
        Receive<RunInference>(_ => _retiring is not null, run => Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, _retiring!.Kind, _retiring.Reason)));
        Receive<Retire>(retire => _retiring ??= retire);
        Receive<PreloadModel>(_ => { });
        Receive<ReportStatusTick>(_ => ReportStatus());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ModelRef model, NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, int sharingWith = 0,
        ImageSettings? images = null, ExecutionTarget? target = null)
    {
        var (limits, on) = (images ?? ImageSettings.Default, target ?? ExecutionTarget.OnCpu);
        return Akka.Actor.Props.Create(() => new ModelRunner(model, node, settings, sessions, store, sharingWith, limits, on));
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(StatusTimer, ReportStatusTick.Instance, _settings.StatusInterval);
        if (_store.Has(_model.Sha256))
            Self.Tell(new BlobReady(_store.PathOf(_model.Sha256)));
        else
            Context.ActorOf(ModelBlobFetcher.Props(_model, _store, _settings), "fetch");
    }

    protected override void PostStop() => _loaded?.Dispose();

    // InferenceHost retires a runner when its model is deleted or no longer deployed here. What
    // was already queued or running still gets its answer; new requests get the retirement's
    // kind (gone: deleted, unavailable: undeployed) and reason. Once the last one is answered (and any load
    // in progress has come back, so its session is not orphaned) the runner stops, and PostStop
    // disposes the ONNX Runtime session.
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        if (_retiring is not null && !_running && _queue.Count == 0 && _state != ModelRunnerStates.Loading) Context.Stop(Self);
        return handled;
    }

    internal sealed record Retire(string Kind, string Reason);

    private Retire? _retiring;

    private void OpenSession(string path)
    {
        var sessions = _sessions;
        var sharing = _sharingWith;
        var target = _target;
        Task.Run(() =>
        {
            var watch = Stopwatch.StartNew();
            var (session, used) = sessions.Open(path, sharing, target);
            var model = new LoadedModel(session);
            var opened = watch.Elapsed.TotalMilliseconds;
            var problem = model.WarmUp();
            return (object)new Loaded(model, opened, problem, watch.Elapsed.TotalMilliseconds - opened, used);
        }).PipeTo(Self, failure: ex => new LoadFailed("ONNX Runtime could not open the model: " + (ex.InnerException ?? ex).Message));
    }

    private void Enqueue(RunInference run)
    {
        var now = _clock.Elapsed;
        if (CheckInputs(run) is { } problem)
        {
            Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, RejectionKinds.Invalid, problem));
            return;
        }
        if (_queue.Count >= _settings.MaxQueuePerModel)
        {
            Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, RejectionKinds.Unavailable,
                $"Node {_node.Id} has {_queue.Count} requests queued for model {_model.Name}, its limit; retry shortly or send to another site."));
            return;
        }
        var rows = _model.Signature.Batchable ? ShapeOf(run, _model.Signature.Inputs[0].Name)[0] : 1;
        // Only refuse on a measured model: before the first batch there is nothing to predict from.
        if (_state == ModelRunnerStates.Ready && _measured)
        {
            var wait = _queue.PredictWaitMs(rows, _running, _batchMs);
            if (wait > run.BudgetMs)
            {
                Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, RejectionKinds.Throttled,
                    $"Node {_node.Id} would answer in about {wait:0.#} ms ({_queue.Count} queued, {_batchMs:0.##} ms per batch) but the SLA leaves {run.BudgetMs:0.#} ms."));
                return;
            }
        }
        var key = GroupKey(run);
        // A request that arrives while the model loads was sent here knowingly (a cold start);
        // it is answered when the model is ready rather than expired for the load's sake.
        var cold = _state == ModelRunnerStates.Loading;
        var deadline = cold ? TimeSpan.MaxValue : now + TimeSpan.FromMilliseconds(Math.Max(1, run.BudgetMs));
        // inference.run: from the queue to the answer; the ONNX Runtime batch it ran in is tagged.
        var span = GridTracing.Start("inference.run", run.TraceParent, ActivityKind.Server)?
            .SetTag("actorgrid.model", $"{_model.Name}@{_model.Version}").SetTag("actorgrid.node", _node.Id.Value).SetTag("actorgrid.cold_start", cold);
        _queue.Enqueue(new MicroBatchQueue<Pending>.Entry(new Pending(run, Sender, now, cold, span), rows, key, now, deadline));
        Dispatch();
    }

    // Requests stack only if every non-batch dimension agrees.
    private string GroupKey(RunInference run)
    {
        if (!_model.Signature.Batchable) return "";
        return string.Join(";", _model.Signature.Inputs.Select(i => string.Join(",", ShapeOf(run, i.Name).Skip(1))));
    }

    // A frame's tensor shape is known from the config before it is decoded; a frame feeds the
    // model's only input (the config was checked against the signature at upload).
    private static IReadOnlyList<long> ShapeOf(RunInference run, string input) =>
        run.Frame is { } frame ? FramePreprocessor.ShapeOf(frame.Preprocess) : run.Inputs[input].Shape;

    private string? CheckInputs(RunInference run) => run.Frame switch
    {
        null => InputValidation.Check(_model.Signature, run.Inputs),
        var frame when _model.Signature.Inputs.Count != 1 || _model.Signature.Inputs[0].Name != frame.Input =>
            $"A frame feeds input '{frame.Input}', but the model's inputs are {string.Join(", ", _model.Signature.Inputs.Select(i => i.Name))}; send tensors.",
        _ => null,
    };

    private void Dispatch()
    {
        if (_running || _loaded is null || _queue.Count == 0) return;
        var now = _clock.Elapsed;
        foreach (var late in _queue.TakeExpired(now))
            Reject(late.Item, RejectionKinds.Throttled, $"The request waited {(now - late.Item.ArrivedAt).TotalMilliseconds:0} ms in the queue of node {_node.Id} and its SLA ran out before it could run.");
        if (_queue.ReadyAt() is not { } readyAt) return;
        if (readyAt > now)
        {
            Timers.StartSingleTimer(FlushTimer, Flush.Instance, readyAt - now);
            return;
        }
        var batch = _queue.TakeBatch();
        _running = true;
        _runningCount = batch.Count;
        var model = _loaded;
        var runs = batch.Select(e => e.Item.Run).ToList();
        var images = _images;
        var started = _clock.Elapsed;
        Task.Run(() => RunFrames(model, runs, images))
            .PipeTo(Self, success: done => new BatchDone(batch, done.Outputs, done.PreprocessMs, started));
    }

    // Frames are decoded and preprocessed here, on the batch's thread-pool thread (never the
    // actor's), so the time counts in the batch's measured cost that SLA predictions use. A frame
    // that cannot be decoded answers alone as a FrameRefusal; the others run.
    private static (IReadOnlyList<object> Outputs, double[] PreprocessMs) RunFrames(LoadedModel model, IReadOnlyList<RunInference> runs, ImageSettings images)
    {
        var outputs = new object[runs.Count];
        var preprocessMs = new double[runs.Count];
        var ready = new List<(int At, IReadOnlyDictionary<string, TensorPayload> Inputs)>(runs.Count);
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Frame is not { } frame)
            {
                ready.Add((i, runs[i].Inputs));
                continue;
            }
            var watch = Stopwatch.StartNew();
            var (tensor, refusal) = FramePreprocessor.Prepare(frame.Image, frame.Preprocess, images);
            preprocessMs[i] = watch.Elapsed.TotalMilliseconds;
            if (refusal is not null) outputs[i] = refusal;
            else ready.Add((i, new Dictionary<string, TensorPayload> { [frame.Input] = tensor! }));
        }
        if (ready.Count > 0)
        {
            var results = RunBatch(model, [.. ready.Select(r => r.Inputs)]);
            for (var j = 0; j < ready.Count; j++) outputs[ready[j].At] = results[j];
        }
        return (outputs, preprocessMs);
    }

    // A batch that throws is retried request by request, so one bad input fails alone and the
    // others in its batch still get their answers.
    private static IReadOnlyList<object> RunBatch(LoadedModel model, IReadOnlyList<IReadOnlyDictionary<string, TensorPayload>> inputs)
    {
        try
        {
            return [.. model.Run(inputs)];
        }
        catch (Exception) when (inputs.Count > 1)
        {
            return [.. inputs.Select(input => RunSingle(model, input))];
        }
        catch (Exception ex)
        {
            return [ex.Message];
        }
    }

    private static object RunSingle(LoadedModel model, IReadOnlyDictionary<string, TensorPayload> input)
    {
        try
        {
            return model.Run([input])[0];
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private void OnBatchDone(BatchDone done)
    {
        var now = _clock.Elapsed;
        var computeMs = (now - done.Started).TotalMilliseconds;
        _batchMs = _measured ? 0.8 * _batchMs + 0.2 * computeMs : computeMs;
        _measured = true;
        _running = false;
        _runningCount = 0;
        for (var i = 0; i < done.Batch.Count; i++)
        {
            var pending = done.Batch[i].Item;
            var queueMs = (done.Started - pending.ArrivedAt).TotalMilliseconds;
            _latencies.Add(queueMs + computeMs);
            pending.Span?.SetTag("actorgrid.queue_ms", queueMs).SetTag("actorgrid.compute_ms", computeMs).SetTag("actorgrid.batch", done.Batch.Count);
            if (done.Outputs[i] is IReadOnlyDictionary<string, TensorPayload> answer && TooLargeToSend(answer, pending.ReplyTo) is { } tooLarge)
                Reject(pending, RejectionKinds.Failed, tooLarge);
            else if (done.Outputs[i] is IReadOnlyDictionary<string, TensorPayload> outputs)
            {
                pending.ReplyTo.Tell(new InferenceSucceeded(pending.Run.RequestId, _node.Id, _node.Tier, outputs, queueMs, computeMs, done.Batch.Count, pending.ColdStart,
                    done.PreprocessMs[i]));
                pending.Span?.Stop();
            }
            // Size and dimensions were checked on the gateway from the header; what is left is an
            // undecodable body (a truncated PNG), the client's to fix.
            else if (done.Outputs[i] is FrameRefusal refusal)
                Reject(pending, RejectionKinds.Invalid, refusal.Reason);
            else
                Reject(pending, RejectionKinds.Failed, $"Model {_model.Name}@{_model.Version} failed while running: {done.Outputs[i]}");
        }
        Dispatch();
    }

    // A reply to a gateway on another host is one remoting frame: remoting would drop a larger
    // one with only a log line here, and the client would wait for its timeout. A gateway on this
    // host gets the reply in memory, so no limit applies to it.
    private string? TooLargeToSend(IReadOnlyDictionary<string, TensorPayload> outputs, IActorRef replyTo)
    {
        if (!replyTo.Path.Address.HasGlobalScope) return null;
        var bytes = outputs.Values.Sum(t => (long)t.Data.Length);
        if (bytes <= _settings.MaxReplyBytesBetweenHosts) return null;
        return $"Model {_model.Name}@{_model.Version} answered with {Mib(bytes)} of outputs, more than the {Mib(_settings.MaxReplyBytesBetweenHosts)} " +
               "an answer may carry between hosts (akka.remote.dot-netty.tcp.maximum-frame-size); send fewer rows per request, " +
               "or send requests to a gateway on a worker host";
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " MiB";

    private void Reject(Pending pending, string kind, string reason)
    {
        pending.ReplyTo.Tell(new InferenceRejected(pending.Run.RequestId, _node.Id, kind, reason));
        pending.Span?.SetStatus(ActivityStatusCode.Error, reason).SetTag("actorgrid.rejection", kind).Stop();
    }

    private string LoadFailureReason() =>
        $"Node {_node.Id} could not load model {_model.Name}@{_model.Version}: {_failure}";

    private void ReportStatus() =>
        Context.Parent.Tell(new ModelRunnerStatus(_model.Sha256, _state, _queue.Count, _runningCount, _batchMs, _latencies.P95(), _queue.MaxRows, _latencies.P99(),
            _loaded is null ? null : _target.Describe(), _loaded is null ? 0 : _sessions.IntraOpThreadsFor(_sharingWith)));

    private sealed record Pending(RunInference Run, IActorRef ReplyTo, TimeSpan ArrivedAt, bool ColdStart, Activity? Span);

    private sealed record BatchDone(IReadOnlyList<MicroBatchQueue<Pending>.Entry> Batch, IReadOnlyList<object> Outputs, double[] PreprocessMs, TimeSpan Started);

    private sealed record Loaded(LoadedModel Model, double Millis, string? WarmUpProblem, double WarmUpMillis, ExecutionTarget Used);

    internal sealed record LoadFailed(string Reason);

    internal sealed record BlobReady(string Path);

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed class ReportStatusTick
    {
        public static readonly ReportStatusTick Instance = new();
    }
}
