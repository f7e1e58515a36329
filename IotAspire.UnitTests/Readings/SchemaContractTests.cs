using GraphQL;
using GraphQL.Types;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace IotAspire.UnitTests.Readings;

public sealed class SchemaContractTests
{
    /// <summary>The schema built from the code is the checked-in contract, byte for byte (line endings aside).
    /// The end-to-end suite checks the same against the running API's published schema.</summary>
    [Fact]
    public void The_schema_built_from_the_code_is_the_checked_in_schema_graphql()
    {
        var services = new ServiceCollection();
        services.AddGraphQL(graphQL => graphQL.AddReadingsSchema().AddHttpTransport());
        using var provider = services.BuildServiceProvider();
        var schema = provider.GetRequiredService<ISchema>();
        schema.Initialize();

        var checkedIn = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schema.graphql")).ReplaceLineEndings().Trim();
        var built = schema.Print().ReplaceLineEndings().Trim();
        if (checkedIn != built)
        {
            // After a deliberate change, this file is the new contract: copy it over schema.graphql.
            var actual = Path.Combine(AppContext.BaseDirectory, "schema.actual.graphql");
            File.WriteAllText(actual, built + Environment.NewLine);
            Assert.Fail($"The schema differs from schema.graphql; the built schema is in {actual}.");
        }
    }
}
