using ActorGrid.Sim.Import;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Placement.Tests.Scheduling;

// Each importer on a small log the test writes, in the public trace's own shape.
public sealed class TraceImportSpecs : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("actorgrid-import-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Should_import_a_philly_job_log_adding_up_attempts_and_counting_the_last_attempts_gpus()
    {
        var log = Write("cluster_job_log", """
            [
              { "jobid": "application_1", "user": "u1", "status": "Pass", "submitted_time": "2017-10-03 10:00:00",
                "attempts": [
                  { "start_time": "2017-10-03 10:05:00", "end_time": "2017-10-03 10:15:00", "detail": [ { "ip": "m1", "gpus": ["gpu0"] } ] },
                  { "start_time": "2017-10-03 10:20:00", "end_time": "2017-10-03 11:20:00", "detail": [ { "ip": "m1", "gpus": ["gpu0", "gpu1"] }, { "ip": "m2", "gpus": ["gpu0", "gpu1"] } ] } ] },
              { "jobid": "application_2", "user": "u2", "status": "Killed", "submitted_time": "2017-10-03 10:10:00",
                "attempts": [ { "start_time": "2017-10-03 10:11:00", "end_time": "2017-10-03 10:12:00", "detail": [ { "ip": "m3", "gpus": ["gpu3"] } ] } ] },
              { "jobid": "application_3", "user": "u3", "status": "Failed", "submitted_time": "2017-10-03 10:30:00", "attempts": [] }
            ]
            """);

        var result = TraceImport.Import(TraceImport.Philly, log, new ImportOptions(ArrivalScale: 2));

        Assert.Equal(2, result.Rows.Count);
        Assert.Equal(1, result.Skipped);
        var first = result.Rows[0];
        Assert.Equal((0.0, "u1", 4, 4200.0, "any"), (first.SubmitS, first.Tenant, first.ChipCount, first.DurationS, first.ChipModel));
        Assert.Equal(300, result.Rows[1].SubmitS);
        Assert.Equal(60, result.Rows[1].DurationS);
        Assert.All(result.Rows, r => Assert.Equal("batch", r.Lane));
    }

    [Fact]
    public void Should_import_pai_task_tables_as_gangs_submitted_with_their_job()
    {
        Write("pai_job_table.csv", """
            j1,inst-a,user1,Terminated,1000,5000
            j2,inst-b,user2,Terminated,1600,2000
            """);
        var tasks = Write("pai_task_table.csv", """
            j1,worker,2,Terminated,1100,4700,600,29.3,100,V100
            j1,ps,1,Terminated,1100,4700,200,8,,MISC
            j2,worker,1,Terminated,1700,1900,400,10,50,T4
            j3,worker,1,Terminated,1700,1900,400,10,50,T4
            """);

        var result = TraceImport.Import(TraceImport.Pai, tasks, new ImportOptions());

        Assert.Equal(3, result.Rows.Count);
        Assert.Equal(1, result.Skipped);
        var worker = result.Rows.First(r => r.ChipCount == 2);
        Assert.Equal((0.0, 3600.0, 12.0), (worker.SubmitS, worker.DurationS, worker.Cpu));
        Assert.Contains(result.Rows, r => r.ChipModel is null && r.Kind == "analysis");
        Assert.Contains(result.Rows, r => r.SubmitS == 600 && r.ChipCount == 1 && r.DurationS == 200);
    }

    [Fact]
    public void Should_import_a_helios_log_by_its_header_and_clamp_gangs_larger_than_a_node()
    {
        var log = Write("cluster_log.csv", """
            job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue
            1,ua,1,6,1,COMPLETED,2020-04-01 00:00:00,2020-04-01 00:01:00,2020-04-01 00:11:00,600,0
            2,ub,16,96,2,COMPLETED,2020-04-01 00:10:00,2020-04-01 00:20:00,2020-04-01 02:20:00,7200,600
            3,uc,0,4,1,FAILED,2020-04-01 00:20:00,,,,0
            """);

        var result = TraceImport.Import(TraceImport.Helios, log, new ImportOptions(ArrivalScale: 1, MaxChips: 8));

        Assert.Equal(2, result.Rows.Count);
        Assert.Equal((1, 1), (result.Skipped, result.Clamped));
        Assert.Equal((600.0, 8, 7200.0), (result.Rows[1].SubmitS, result.Rows[1].ChipCount, result.Rows[1].DurationS));
    }

    [Fact]
    public void Should_write_a_trace_the_simulator_reads_back()
    {
        var log = Write("slurm.csv", "submit,gpus,elapsed\n100,2,50\n160,1,30\n");
        var output = Path.Combine(_dir.FullName, "out.csv");

        var code = ImportCommand.Run(["--format", "helios", log, output, "--arrival-scale", "4"], TextWriter.Null, TextWriter.Null);

        Assert.Equal(0, code);
        var rows = TraceCsv.Load(output);
        Assert.Equal([0.0, 15.0], rows.Select(r => r.SubmitS));
        Assert.Equal(2, ImportCommand.Run(["--format", "borg", log, output], TextWriter.Null, TextWriter.Null));
    }
}
