using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Worker.Sandbox;

namespace ActorGrid.Worker;

// What an attempt's process is told: its identity, directories, chips and, for a training
// rank, the torchrun environment; and how long a preempted one may take to stop.
public sealed partial class WorkerAgent
{
    // Training checkpoints are worth waiting for; a plain process gets a short grace by default, so
    // the realtime task that preempts it is not held up for a checkpoint it may never write.
    private TimeSpan GraceFor(TaskSpec spec) =>
        spec.PreemptionGraceSeconds is { } seconds ? TimeSpan.FromSeconds(seconds)
        : spec.Kind == TaskKinds.Training ? _settings.PreemptionGrace
        : _settings.ProcessPreemptionGrace;

    // Every attempt learns who it is and where to keep checkpoints. The checkpoint directory belongs
    // to the task, not the attempt: a task preempted, drained or retried on this host finds what
    // its earlier attempt saved there and can resume instead of starting over.
    // Each sees only its own chips; a training rank also gets the torchrun environment, so an
    // unmodified PyTorch DDP script runs. On one host rank 0 is the master, reached on loopback
    // (the sandbox shares the host's network) at a port free here. A gang split over hosts runs
    // its share of the ranks here (StartTaskRun.Gang): RANK counts from its first rank, and the
    // master is node rank 0's host at the port its worker reported (the task passed it on).
    private Dictionary<string, string> EnvironmentFor(StartTaskRun cmd, Run run)
    {
        var grid = new Dictionary<string, string>
        {
            ["ACTORGRID_TASK_ID"] = cmd.TaskId.Value,
            ["ACTORGRID_ATTEMPT"] = cmd.Attempt.ToString(CultureInfo.InvariantCulture),
            ["ACTORGRID_NODE_ID"] = _descriptor.Id.Value,
            ["ACTORGRID_CHECKPOINT_DIR"] = _sandbox.CheckpointPathSeen(cmd.TaskId),
            ["ACTORGRID_OUTPUT_DIR"] = _sandbox.OutputPathSeen(cmd.TaskId, cmd.Attempt),
        };
        var grant = _ledger.Chips.HeldBy(cmd.TaskId);
        foreach (var (name, value) in ChipVendors.EnvironmentFor(grant)) grid[name] = value;
        var gang = run.Gang;
        var localRanks = gang?.Ranks ?? cmd.Spec.Workers;
        var firstRank = gang?.FirstRank ?? 0;
        if (cmd.Spec.Kind == TaskKinds.Training && cmd.Spec.Workers > 1)
        {
            // The launcher (RankLauncher) starts this host's ranks and gives each its RANK, LOCAL_RANK
            // and its share of the chips granted here, in index order.
            var perRank = grant is null ? 0 : grant.Indices.Count / localRanks;
            for (var rank = 0; rank < localRanks; rank++)
                grid[$"ACTORGRID_RANK_DEVICES_{rank}"] = grant is null ? "" : string.Join(',', grant.Indices.Skip(rank * perRank).Take(perRank));
            grid["ACTORGRID_DEVICE_VARS"] = grant is null ? "CUDA_VISIBLE_DEVICES" : string.Join(' ', ChipVendors.VisibleDeviceVariables(grant.Vendor));
            grid["ACTORGRID_FIRST_RANK"] = firstRank.ToString(CultureInfo.InvariantCulture);
            grid["ACTORGRID_RANK_EXIT_GRACE"] = Math.Ceiling(_settings.RankExitGrace.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
        if (cmd.Spec.Kind == TaskKinds.Training)
        {
            grid["RANK"] = firstRank.ToString(CultureInfo.InvariantCulture);
            grid["LOCAL_RANK"] = "0";
            grid["NODE_RANK"] = (gang?.NodeRank ?? 0).ToString(CultureInfo.InvariantCulture);
            grid["WORLD_SIZE"] = cmd.Spec.Workers.ToString(CultureInfo.InvariantCulture);
            grid["LOCAL_WORLD_SIZE"] = localRanks.ToString(CultureInfo.InvariantCulture);
            var (address, port) = gang switch
            {
                null => ("127.0.0.1", FreePort()),
                { NodeRank: 0 } => (_masterAddress, run.MasterPort!.Value),
                _ => (gang.MasterAddr!, gang.MasterPort!.Value),
            };
            grid["MASTER_ADDR"] = address;
            grid["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        }
        return _sandbox.EnvironmentFor(cmd.Spec.Env, grid, _sandbox.Isolates ? SandboxHost.WorkMount : _sandbox.RunDirectory(cmd.TaskId, cmd.Attempt));
    }

    // Runs the command once per rank of this host (all of them, or a gang host's share: global
    // ranks from ACTORGRID_FIRST_RANK), all in the attempt's one sandbox (one uid, one cgroup with
    // the gang's limits), as torchrun's local launcher would; the first rank to fail stops the
    // others and the attempt fails with its exit code. Each rank is its own process group (set -m),
    // so stopping one stops what it started too, and a graceful stop's SIGTERM is passed on to
    // every rank's group (the wait loop below then sees them end); the launcher's own job notices go nowhere, the
    // ranks' stderr to the attempt's. The launcher polls `jobs -r` (every 0.2 s) for ranks that
    // ended and reads each one's status with `wait <pid>`: bash 5.2's `wait -n` does not return
    // a job that ended before it was called, so a rank 0 that finished (or a rank that failed)
    // while the launcher was busy went unseen and the attempt hung (7 of 20 runs of an instant
    // rank 0 beside a hanging rank 1).
    // All ranks share the attempt's stdout, and only rank 0's progress lines are the job's (every
    // rank of a DDP script prints the same loss): the stdout of every other rank goes through
    // sed, which prefixes each of its lines with "[rank<i>]: " as torchrun's log prefix does, so
    // those lines are plain output to ProcessExecution and only rank 0's are parsed. pipefail
    // keeps the rank's own exit status (sed's is 0); the pipeline stays in the rank's process group.
    // Once rank 0 has exited 0 the job is done: the other ranks get ACTORGRID_RANK_EXIT_GRACE
    // seconds to exit (whatever their status), then are killed, and the attempt succeeds. The
    // killer itself says so before it kills: the launcher cannot tell afterwards by signalling
    // the killer's group, which still answers while the killer is an unreaped zombie (CI saw
    // the notice go missing that way), and it waits for the killer so the notice is written
    // before the attempt's stderr closes.
    private static readonly string[] RankLauncher =
    [
        "bash", "-c",
        """
        set -m; exec 3>&2 2>/dev/null
        pids=() stopping=
        trap 'stopping=1; kill -TERM -- "${pids[@]/#/-}" 2>/dev/null' TERM
        for ((i = 0; i < LOCAL_WORLD_SIZE; i++)); do
          devices_var="ACTORGRID_RANK_DEVICES_$i"
          r=$((ACTORGRID_FIRST_RANK + i))
          if [ "$r" -eq 0 ]; then
            ( export RANK=$r LOCAL_RANK=$i; for v in $ACTORGRID_DEVICE_VARS; do export "$v=${!devices_var}"; done; exec "$@" 2>&3 3>&- ) &
            rank0=$!
          else
            ( set -o pipefail; export RANK=$r LOCAL_RANK=$i; for v in $ACTORGRID_DEVICE_VARS; do export "$v=${!devices_var}"; done
              "$@" 2>&3 3>&- | sed -u "s/^/[rank$r]: /" 3>&- ) &
          fi
          pids+=($!)
        done
        left=("${pids[@]}")
        while [ ${#left[@]} -gt 0 ] && [ -z "$stopping" ]; do
          running=" $(jobs -rp | tr '\n' ' ') " still=()
          for pid in "${left[@]}"; do
            if [[ $running == *" $pid "* ]]; then still+=("$pid"); continue; fi
            wait "$pid"; status=$?
            if [ $status -ne 0 ]; then kill -- "${pids[@]/#/-}" 2>/dev/null; wait; exit $status; fi
            if [ "$pid" = "${rank0:-}" ]; then
              ( sleep "$ACTORGRID_RANK_EXIT_GRACE"
                echo "[actorgrid] rank 0 finished; ranks still running ${ACTORGRID_RANK_EXIT_GRACE}s later were killed" >&3
                kill -KILL -- "${pids[@]/#/-}" ) 2>/dev/null &
              late=$!
              for pid in "${pids[@]}"; do wait "$pid"; done
              kill -- -"$late" 2>/dev/null; wait "$late"
              exit 0
            fi
          done
          left=("${still[@]}")
          if [ ${#left[@]} -gt 0 ]; then sleep 0.2 & wait $!; fi
        done
        for pid in "${pids[@]}"; do
          wait "$pid"; status=$?
          if [ $status -ne 0 ] && [ $status -ne 127 ]; then exit $status; fi
        done
        """,
        "actorgrid-ranks",
    ];

    // A port nothing listens on now, on any interface (a gang's other hosts reach it), outside the
    // kernel's ephemeral range (RendezvousPorts); the rank binds it moments later.
    private int FreePort() => _rendezvousPorts.Take();

    private string CheckpointDirectory(TaskId task) => _sandbox.CheckpointDirectory(task);
}
