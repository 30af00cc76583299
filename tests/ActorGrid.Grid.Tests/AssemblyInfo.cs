// These tests start real grid processes; on a 2-core machine they run one at a time so timing
// stays honest and hosts do not starve each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
