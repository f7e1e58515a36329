using IotAspire.Api.Errors;

namespace IotAspire.Api.Alerts;

/// <summary>What a rule may say (pure rules), each refusal naming the field.</summary>
public static class AlertRuleRules
{
    public const int MaxMinutes = 10_080;   // a week
    public const int MaxNameLength = 200;
    public const int MaxRulesPerCustomer = 10_000;

    /// <summary>Threshold and reading values alike: finite and within what ingest accepts.</summary>
    public const double MaxThreshold = 1e100;

    public static void Check(AlertRuleKind kind, double? threshold, int minutes, string? name)
    {
        if (name is { Length: > MaxNameLength })
        {
            throw ApiErrors.BadInput($"name may be at most {MaxNameLength} characters, not {name.Length}.");
        }

        switch (kind)
        {
            case AlertRuleKind.NoData when threshold is not null:
                throw ApiErrors.BadInput("threshold does not apply to NO_DATA: leave it out (minutes says how long without readings).");
            case AlertRuleKind.NoData when minutes is < 1 or > MaxMinutes:
                throw ApiErrors.BadInput($"minutes must be between 1 and {MaxMinutes} for NO_DATA, not {minutes}.");
            case AlertRuleKind.NoData:
                return;
            case AlertRuleKind.RateOfChange when minutes is < 1 or > MaxMinutes:
                throw ApiErrors.BadInput($"minutes (the window) must be between 1 and {MaxMinutes} for RATE_OF_CHANGE, not {minutes}.");
            case AlertRuleKind.RateOfChange when threshold is not (> 0 and <= MaxThreshold):
                throw ApiErrors.BadInput($"threshold must be a change per minute above 0 (and at most {MaxThreshold:E0}) for RATE_OF_CHANGE, not {Text(threshold)}.");
            case AlertRuleKind.Above or AlertRuleKind.Below when threshold is not { } value || !double.IsFinite(value) || Math.Abs(value) > MaxThreshold:
                throw ApiErrors.BadInput($"threshold must be a finite number within ±{MaxThreshold:E0} for {Name(kind)}, not {Text(threshold)}.");
            case AlertRuleKind.Above or AlertRuleKind.Below when minutes is < 0 or > MaxMinutes:
                throw ApiErrors.BadInput($"minutes must be between 0 (at once) and {MaxMinutes} for {Name(kind)}, not {minutes}.");
        }
    }

    /// <summary>The stored and GraphQL name of a kind.</summary>
    public static string Name(AlertRuleKind kind) => kind switch
    {
        AlertRuleKind.Above => "ABOVE",
        AlertRuleKind.Below => "BELOW",
        AlertRuleKind.NoData => "NO_DATA",
        _ => "RATE_OF_CHANGE",
    };

    public static AlertRuleKind Parse(string name) => name switch
    {
        "ABOVE" => AlertRuleKind.Above,
        "BELOW" => AlertRuleKind.Below,
        "NO_DATA" => AlertRuleKind.NoData,
        "RATE_OF_CHANGE" => AlertRuleKind.RateOfChange,
        _ => throw new InvalidOperationException($"Unknown alert rule kind '{name}' in the database."),
    };

    private static string Text(double? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null";
}
