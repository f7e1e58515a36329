using System.Reflection;
using IotAspire.Hosting.LocalPostgres;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("IotAspire.Tests.Infrastructure.CitusAwareTestFramework", "IotAspire.Tests")]

namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// xunit's own framework, except that the Citus tests (the <see cref="CitusAppHostCollection"/> and the classes marked
/// <see cref="NeedsCitusAttribute"/>) are reported skipped, naming the install command, on a machine without Citus
/// outside CI, and so are the classes marked <see cref="NeedsToolAttribute"/> where their tool is not on <c>PATH</c>: the README's <c>dotnet test</c> then passes on a machine with only its prerequisites. Under
/// <c>CI=true</c> they always run, so CI can never lose them silently (a missing Citus fails there, loudly).
/// The Citus classes inherit their tests from the single-server classes, so the decision is made per class at
/// discovery, not by an attribute on the shared test methods.
/// </summary>
public sealed class CitusAwareTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    public const string InstallCommand = "sudo scripts/install-citus.sh";

    /// <summary>Why the Citus tests do not run here, or null when they do (<c>CI=true</c>, or Citus installed).</summary>
    public static string? CitusSkipReason(string? ci, Func<bool> citusInstalled) =>
        string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || citusInstalled()
            ? null
            : $"Citus is not installed for the local PostgreSQL binaries: the Citus tests are skipped (install it with '{InstallCommand}'; under CI=true they are required).";

    private static readonly Lazy<string?> SkipReason = new(() => CitusSkipReason(
        Environment.GetEnvironmentVariable("CI"),
        () => LocalPostgresBinaries.Find(null, Environment.GetEnvironmentVariable("PATH")) is { } binaries && CitusTopology.IsInstalledFor(binaries)));

    /// <summary>
    /// Why a class that runs <paramref name="tools"/> does not run here: the first of them not on <c>PATH</c>, with its install
    /// command; null when they all are, or under <c>CI=true</c> (where a missing tool fails the tests, loudly).
    /// </summary>
    public static string? ToolSkipReason(string? ci, IEnumerable<NeedsToolAttribute> tools, Func<string, bool> onPath) =>
        string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) ? null
        : tools.FirstOrDefault(tool => !onPath(tool.Command)) is { } missing
            ? $"{missing.Command} is not installed: these tests are skipped (install it with '{missing.Install}'; under CI=true they are required)."
            : null;

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, command)));

    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new CitusAwareDiscoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class CitusAwareDiscoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var testClass = testMethod.TestClass.Class.ToRuntimeType();
            var reason = NeedsCitus(testClass) ? SkipReason.Value
                : testClass is not null ? ToolSkipReason(Environment.GetEnvironmentVariable("CI"), testClass.GetCustomAttributes<NeedsToolAttribute>(), OnPath)
                : null;
            if (reason is null)
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }

            if (!testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
            {
                return true;
            }

            var skipped = new XunitSkippedDataRowTestCase(DiagnosticMessageSink, TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, testMethod, reason);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }

        private static bool NeedsCitus(Type? testClass) =>
            testClass is not null
            && (testClass.GetCustomAttribute<NeedsCitusAttribute>() is not null || CollectionName(testClass) == CitusAppHostCollection.Name);

        // CollectionAttribute keeps its name only as a constructor argument.
        private static string? CollectionName(Type testClass) =>
            testClass.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute))?.ConstructorArguments[0].Value as string;
    }
}

/// <summary>A test class that starts a Citus cluster of its own (not through <see cref="CitusAppHostCollection"/>).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsCitusAttribute : Attribute;

/// <summary>A test class that runs a program not built here (<c>mosquitto_pub</c>, <c>npm</c>), with the command that installs it (<c>.ci/run</c> does).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class NeedsToolAttribute(string command, string install) : Attribute
{
    public string Command { get; } = command;

    public string Install { get; } = install;
}
