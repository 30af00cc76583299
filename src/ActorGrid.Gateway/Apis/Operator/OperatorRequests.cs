namespace ActorGrid.Gateway.Apis.Operator;

// Request bodies of the operator endpoints.
public sealed record MemberAddressRequest(string? Address);

public sealed record SetQuotaRequest(double? MaxCpu, int? MaxChips, decimal? Budget = null);
