using System.Reflection;
using IotAspire.Hosting.LocalPostgres;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("IotAspire.Tests.Infrastructure.CitusAwareTestFramework", "IotAspire.Tests")]

namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// xunit's own framework, except that the Citus tests (the <see cref="CitusAppHostCollection"/> and the classes marked
/// <see cref="NeedsCitusAttribute"/>) are reported skipped, naming the install command, on a machine without Citus
/// outside CI: the README's <c>dotnet test</c> then passes on a machine with only its prerequisites. Under
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

    /// <summary>Why the tests with Debian's MQTT clients do not run here, or null when they do (<c>CI=true</c>, or <c>mosquitto_pub</c> found).</summary>
    public static string? MosquittoSkipReason(string? ci, Func<bool> installed) =>
        string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || installed()
            ? null
            : "mosquitto_pub is not installed: the tests with Debian's MQTT clients are skipped (install them with 'sudo apt-get install mosquitto-clients'; under CI=true they are required).";

    private static readonly Lazy<string?> MosquittoSkipReasonHere = new(() => MosquittoSkipReason(
        Environment.GetEnvironmentVariable("CI"),
        () => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, "mosquitto_pub")))));

    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new CitusAwareDiscoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class CitusAwareDiscoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var testClass = testMethod.TestClass.Class.ToRuntimeType();
            var reason = NeedsCitus(testClass) ? SkipReason.Value
                : testClass?.GetCustomAttribute<NeedsMosquittoClientsAttribute>() is not null ? MosquittoSkipReasonHere.Value
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

/// <summary>A test class that runs Debian's MQTT clients (<c>mosquitto_pub</c>, package mosquitto-clients; <c>.ci/run</c> installs it).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsMosquittoClientsAttribute : Attribute;
