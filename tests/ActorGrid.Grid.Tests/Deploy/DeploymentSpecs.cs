using System.Diagnostics;
using System.Text.RegularExpressions;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Worker;
using Akka.Configuration;
using YamlDotNet.RepresentationModel;

namespace ActorGrid.Grid.Tests.Deploy;

// deploy/k8s and deploy/systemd cannot be applied here (no cluster, no systemd running), so they
// are read and held against the binary they start: every option they pass is one that
// `ActorGrid.Node --help` lists, the ports they publish are the ports they pass, the probes hit
// paths the node serves, and the settings the issue asks for are there.
public partial class DeploymentSpecs
{
    private static readonly string Repo = FindRepo();
    private static readonly Lazy<IReadOnlySet<string>> HelpOptions = new(ReadHelpOptions);
    private static readonly string[] HealthPaths = ["/healthz", "/readyz"];

    [Fact]
    public void Should_pass_only_options_that_the_node_lists_in_its_help()
    {
        Assert.Contains("--discovery", HelpOptions.Value);
        Assert.Contains("--contact-points", HelpOptions.Value);
        Assert.Contains("--management-port", HelpOptions.Value);
        var passed = Containers().SelectMany(c => Args(c.Container).Select(a => (c.Name, a)))
            .Concat(Units().SelectMany(u => ExecStartArgs(u.Value).Select(a => (u.Key, a))))
            .Where(p => p.a.StartsWith("--", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(passed);
        var unknown = passed.Where(p => !HelpOptions.Value.Contains(p.a)).Select(p => $"{p.Item1}: {p.a}").ToList();
        Assert.True(unknown.Count == 0, "options the node does not have: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Should_publish_the_ports_the_node_is_told_to_listen_on_and_probe_what_it_serves()
    {
        foreach (var (name, spec, container, _) in Containers())
        {
            var args = Args(container);
            var ports = ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>()
                .ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort")));
            Assert.Equal(int.Parse(ValueOf(args, "--port")), ports["remoting"]);
            Assert.Equal(int.Parse(ValueOf(args, "--management-port")), ports["management"]);
            Assert.Equal(int.Parse(ValueOf(args, "--http").Split(':')[^1]), ports["http"]);
            Assert.Equal("kubernetes", ValueOf(args, "--discovery"));
            foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            {
                var get = (YamlMappingNode)((YamlMappingNode)container[probe])["httpGet"];
                Assert.Contains(Scalar(get, "path"), HealthPaths);
                Assert.True(ports.ContainsKey(Scalar(get, "port")), $"{name} {probe} port {Scalar(get, "port")} is not a container port");
            }
            Assert.Equal("/readyz", Scalar((YamlMappingNode)((YamlMappingNode)container["readinessProbe"])["httpGet"], "path"));
            Assert.True(int.Parse(Scalar(spec, "terminationGracePeriodSeconds")) >= 35, $"{name}: grace shorter than a handover");
            var preStop = string.Join(" ", ((YamlSequenceNode)Node(container, "lifecycle", "preStop", "exec", "command")).Select(n => n.ToString()));
            Assert.Contains("kill -TERM 1", preStop);
            Assert.Equal("actorgrid", Scalar(spec, "serviceAccountName"));
            Assert.Equal("true", Scalar((YamlMappingNode)spec["securityContext"], "runAsNonRoot"));
            // Files the node is pointed at are mounted where it looks.
            var mounts = ((YamlSequenceNode)container["volumeMounts"]).Cast<YamlMappingNode>().Select(m => Scalar(m, "mountPath")).ToList();
            foreach (var file in new[] { "--config", "--tls-cert", "--tls-ca", "--node", "--data" }.Where(args.Contains).Select(o => ValueOf(args, o)))
                Assert.True(mounts.Any(m => file == m || file.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal)), $"{name}: {file} is not mounted");
        }
        // The node really serves the probed paths (the gateway's HealthApi, mapped on every host).
        var health = File.ReadAllText(Path.Combine(Repo, "src", "ActorGrid.Gateway", "Apis", "HealthApi.cs"));
        Assert.All(HealthPaths, path => Assert.Contains($"\"{path}\"", health));
    }

    [Fact]
    public void Should_let_bootstrap_find_the_core_pods_and_only_them()
    {
        var docs = Documents().ToList();
        var core = Containers().Single(c => c.Name == "actorgrid-core");
        var worker = Containers().Single(c => c.Name == "actorgrid-worker");
        var coreLabels = Labels(core.Pod);
        var workerLabels = Labels(worker.Pod);
        var selector = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(Repo, "hocon", "actorgrid.hocon")))
            .GetString("akka.discovery.kubernetes-api.pod-label-selector").Replace("{0}", "actorgrid");
        var terms = selector.Split(',').Select(t => t.Split('=')).ToDictionary(t => t[0], t => t[1]);
        Assert.True(terms.All(t => coreLabels.GetValueOrDefault(t.Key) == t.Value), $"core pods {Show(coreLabels)} do not match {selector}");
        Assert.False(terms.All(t => workerLabels.GetValueOrDefault(t.Key) == t.Value), $"worker pods match {selector}: they could found a cluster");

        var cluster = ConfigurationFactory.ParseString(Scalar((YamlMappingNode)ConfigMap(docs, "actorgrid-cluster")["data"], "cluster.hocon"));
        var statefulSet = docs.Single(d => Scalar(d, "kind") == "StatefulSet");
        Assert.Equal(int.Parse(Scalar((YamlMappingNode)statefulSet["spec"], "replicas")),
            cluster.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal("core", cluster.GetString("akka.cluster.split-brain-resolver.keep-majority.role"));

        var headless = docs.Single(d => Scalar(d, "kind") == "Service" && Scalar((YamlMappingNode)d["metadata"], "name") == "actorgrid-core");
        var service = (YamlMappingNode)headless["spec"];
        Assert.Equal("None", Scalar(service, "clusterIP"));
        Assert.All(((YamlMappingNode)service["selector"]).Children, s => Assert.Equal(s.Value.ToString(), coreLabels[s.Key.ToString()]));

        var role = docs.Single(d => Scalar(d, "kind") == "Role");
        var rule = ((YamlSequenceNode)role["rules"]).Cast<YamlMappingNode>().Single();
        Assert.Contains("pods", ((YamlSequenceNode)rule["resources"]).Select(n => n.ToString()));
        Assert.Contains("list", ((YamlSequenceNode)rule["verbs"]).Select(n => n.ToString()));
    }

    [Fact]
    public void Should_give_each_worker_pod_a_descriptor_named_after_its_node()
    {
        var docs = Documents().ToList();
        var template = Scalar((YamlMappingNode)ConfigMap(docs, "actorgrid-node")["data"], "node.hocon");
        var (_, spec, worker, _) = Containers().Single(c => c.Name == "actorgrid-worker");
        var init = ((YamlSequenceNode)spec["initContainers"]).Cast<YamlMappingNode>().Single();
        var nodeName = ((YamlSequenceNode)init["env"]).Cast<YamlMappingNode>().Single(e => Scalar(e, "name") == "NODE_NAME");
        Assert.Equal("spec.nodeName", Scalar((YamlMappingNode)Node(nodeName, "valueFrom", "fieldRef"), "fieldPath"));
        // The init container writes the template out where the node is told to read it.
        var script = ((YamlSequenceNode)init["command"]).Last().ToString();
        Assert.Contains("s/@NODE_NAME@/$NODE_NAME/", script);
        Assert.EndsWith("> " + ValueOf(Args(worker), "--node"), script);
        Assert.Equal("gpu-node-7", NodeDescriptorFile.Parse(template.Replace("@NODE_NAME@", "gpu-node-7"), "actorgrid-node").Id.Value);
    }

    [Fact]
    public void Should_build_an_image_that_runs_the_node_as_a_user_that_is_not_root()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo, "deploy", "k8s", "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.True(lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, "not a multi-stage build");
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Split(':')[0];
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Contains("ActorGrid.Node.dll", lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        var exposed = lines.Where(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).SelectMany(l => l[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToHashSet();
        foreach (var (_, _, container, _) in Containers())
            Assert.Subset(exposed, ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>().Select(p => int.Parse(Scalar(p, "containerPort"))).ToHashSet());
    }

    [Fact]
    public void Should_run_each_role_as_a_hardened_notify_service()
    {
        var units = Units();
        Assert.Equal(["actorgrid-core.service", "actorgrid-gateway.service", "actorgrid-worker.service"], units.Keys.Order());
        foreach (var (name, unit) in units)
        {
            string One(string key) => unit.Single(e => e.Key == key).Value;
            Assert.Equal("notify", One("Type"));
            Assert.Equal("actorgrid", One("User"));
            Assert.Equal("yes", One("NoNewPrivileges"));
            Assert.Equal("strict", One("ProtectSystem"));
            Assert.Equal("on-failure", One("Restart"));
            Assert.Equal("mixed", One("KillMode"));
            Assert.True(int.Parse(One("TimeoutStopSec")) >= 35, $"{name}: stop timeout shorter than a handover");
            var data = ValueOf(ExecStartArgs(unit), "--data");
            Assert.Contains(data, One("ReadWritePaths").Split(' '));
            Assert.Equal(name["actorgrid-".Length..^".service".Length], ValueOf(ExecStartArgs(unit), "--roles"));
        }
        var install = File.ReadAllText(Path.Combine(Repo, "deploy", "systemd", "install.sh"));
        Assert.Contains("useradd --system", install);
        Assert.Contains("systemctl enable", install);
    }

    // systemd-analyze checks keys, sections and values as systemd itself would read them.
    [Fact]
    public async Task Should_pass_systemd_analyze_verify_where_it_is_installed()
    {
        if (!File.Exists("/usr/bin/systemd-analyze")) return; // parsed by the spec above instead
        foreach (var unit in Directory.GetFiles(Path.Combine(Repo, "deploy", "systemd"), "*.service"))
        {
            var (exit, output) = await RunAsync("/usr/bin/systemd-analyze", ["verify", unit]);
            Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify {unit}: exit {exit}\n{output}");
        }
    }

    [Theory]
    [InlineData("--seeds akka.tcp://actorgrid@127.0.0.1:4053 --discovery config --contact-points 127.0.0.1:8558", "--seeds and --discovery config are two ways")]
    [InlineData("--discovery config", "--discovery config needs --contact-points")]
    [InlineData("--contact-points 127.0.0.1:8558", "go with --discovery")]
    [InlineData("--discovery kubernetes --contact-points 127.0.0.1:8558", "--contact-points goes with --discovery config")]
    [InlineData("--discovery dns", "--discovery 'dns' is not known")]
    [InlineData("--discovery config --contact-points 127.0.0.1 --management-port 8558", "must be host:port")]
    [InlineData("--discovery config --contact-points 127.0.0.1:4053 --management-port 4053 --port 4053", "is also the remoting --port")]
    public async Task Should_refuse_a_discovery_option_mix_with_a_sentence_that_says_what_to_do(string args, string says)
    {
        using var dir = TestDirectory.Create("discovery-options");
        var (exit, output) = await RunAsync("dotnet", [GridProcess.NodeDll, "--roles", "core", "--data", dir.Path, .. args.Split(' ')]);
        Assert.True(exit == 2, $"exit {exit}\n{output}");
        Assert.Contains(says, output);
    }

    private static Dictionary<string, string> Labels(YamlMappingNode pod) =>
        ((YamlMappingNode)Node(pod, "metadata", "labels")).Children.ToDictionary(l => l.Key.ToString(), l => l.Value.ToString());

    private static string Show(Dictionary<string, string> labels) => string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));

    private static YamlMappingNode ConfigMap(IEnumerable<YamlMappingNode> docs, string name) =>
        docs.Single(d => Scalar(d, "kind") == "ConfigMap" && Scalar((YamlMappingNode)d["metadata"], "name") == name);

    // Every container of every workload: (workload name, pod spec, container, pod template).
    private static IEnumerable<(string Name, YamlMappingNode Spec, YamlMappingNode Container, YamlMappingNode Pod)> Containers() =>
        Documents().Where(d => Scalar(d, "kind") is "StatefulSet" or "DaemonSet").SelectMany(d =>
        {
            var pod = (YamlMappingNode)Node(d, "spec", "template");
            var spec = (YamlMappingNode)pod["spec"];
            return ((YamlSequenceNode)spec["containers"]).Cast<YamlMappingNode>().Select(c => (Scalar((YamlMappingNode)d["metadata"], "name"), spec, c, pod));
        });

    private static IEnumerable<YamlMappingNode> Documents() =>
        Directory.GetFiles(Path.Combine(Repo, "deploy", "k8s"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)).SelectMany(file =>
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
        });

    private static List<string> Args(YamlMappingNode container) => [.. ((YamlSequenceNode)container["args"]).Select(n => n.ToString())];

    private static YamlNode Node(YamlMappingNode root, params string[] path) =>
        path.Aggregate((YamlNode)root, (node, key) => ((YamlMappingNode)node)[key]);

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static string ValueOf(IReadOnlyList<string> args, string option)
    {
        var at = args.ToList().IndexOf(option);
        Assert.True(at >= 0 && at + 1 < args.Count, $"{option} is not passed: {string.Join(' ', args)}");
        return args[at + 1];
    }

    // name → the unit's key=value lines (continuations joined), sections ignored.
    private static Dictionary<string, List<KeyValuePair<string, string>>> Units() =>
        Directory.GetFiles(Path.Combine(Repo, "deploy", "systemd"), "*.service").ToDictionary(file => Path.GetFileName(file), file =>
        {
            var text = Regex.Replace(File.ReadAllText(file), @"\\\n\s*", " ");
            return text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('[') && l.Contains('='))
                .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..].Trim())).ToList();
        });

    private static List<string> ExecStartArgs(List<KeyValuePair<string, string>> unit) =>
        [.. unit.Single(e => e.Key == "ExecStart").Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    // The options as the real binary prints them.
    private static IReadOnlySet<string> ReadHelpOptions()
    {
        var (exit, output) = RunAsync("dotnet", [GridProcess.NodeDll, "--help"]).GetAwaiter().GetResult();
        Assert.True(exit == 0, $"--help exited {exit}\n{output}");
        return OptionPattern().Matches(output).Select(m => m.Value).ToHashSet();
    }

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]*")]
    private static partial Regex OptionPattern();

    private static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // it started instead of refusing: the assertion says so
            await process.WaitForExitAsync();
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorGrid.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ActorGrid.sln above {AppContext.BaseDirectory}");
    }
}
