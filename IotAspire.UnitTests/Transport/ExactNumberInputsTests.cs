using System.Globalization;
using GraphQL;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using IotAspire.Api.GraphQLHttp;

namespace IotAspire.UnitTests.Transport;

/// <summary>
/// A number sent in variables reaches the schema bit for bit: the serializer configured as both transports configure
/// it. Without <see cref="ExactNumberInputsConverter"/> about one double in ten of these came back one unit in the
/// last place off (the library reads fractions through decimal).
/// </summary>
public sealed class ExactNumberInputsTests
{
    private readonly GraphQLSerializer serializer = new(GraphQLHttpTransportExtensions.ConfigureJson);

    [Fact]
    public void Random_finite_doubles_in_variables_are_read_exactly_in_every_written_form()
    {
        var random = new Random(20261207);
        var sent = Enumerable.Range(0, 5_000).Select(_ => RandomFiniteDouble(random)).ToList();
        sent.AddRange([-509.58980585028036, 5e-324, -double.Epsilon, double.MaxValue, double.MinValue, 0.1, -0.0, 95671564826799570d]);

        // "R" is the shortest text that round-trips; "G17" is what many clients (Python's repr, JavaScript) may write.
        foreach (var format in new[] { "R", "G17", "E16" })
        {
            var values = string.Join(",", sent.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
            var request = serializer.Deserialize<GraphQLRequest>("{\"query\":\"{ x }\",\"variables\":{\"values\":[" + values + "]}}")!;

            var read = ((IEnumerable<object?>)request.Variables!["values"]!).Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToList();
            var differing = sent.Zip(read).Where(pair => BitConverter.DoubleToInt64Bits(pair.First) != BitConverter.DoubleToInt64Bits(pair.Second)
                && !(pair.First == 0 && pair.Second == 0)).ToList();
            Assert.True(differing.Count == 0, $"{format}: {differing.Count} differ, e.g. sent {differing.FirstOrDefault().First:R} read {differing.FirstOrDefault().Second:R}");
        }
    }

    [Fact]
    public void Integers_stay_integers_for_int_and_long_arguments_and_nesting_is_kept()
    {
        var inputs = serializer.Deserialize<Inputs>("""{"first":100,"id":9007199254740993,"big":1e400,"input":{"values":[{"key":"t","value":21.5}],"on":true,"name":null}}""")!;

        Assert.Equal(100, inputs["first"]);
        Assert.Equal(9007199254740993L, inputs["id"]);
        Assert.Equal(double.PositiveInfinity, inputs["big"]);   // refused later by the schema's Float rules, naming the field
        var input = (IReadOnlyDictionary<string, object?>)inputs["input"]!;
        Assert.Equal(true, input["on"]);
        Assert.Null(input["name"]);
        var value = (IReadOnlyDictionary<string, object?>)((IEnumerable<object?>)input["values"]!).Single()!;
        Assert.Equal(21.5, value["value"]);
    }

    [Fact]
    public void Variables_nested_past_the_bound_are_refused()
    {
        var deep = new string('[', ExactNumberInputsConverter.MaxDepth + 2) + new string(']', ExactNumberInputsConverter.MaxDepth + 2);

        Assert.ThrowsAny<System.Text.Json.JsonException>(() => serializer.Deserialize<Inputs>("{\"deep\":" + deep + "}"));
    }

    private static double RandomFiniteDouble(Random random)
    {
        while (true)
        {
            var value = BitConverter.Int64BitsToDouble(random.NextInt64());
            if (double.IsFinite(value) && random.Next(2) == 0)
            {
                return value;
            }

            // Half of them in the range readings usually take, where the decimal detour failed most.
            var usual = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 7));
            if (double.IsFinite(usual))
            {
                return usual;
            }
        }
    }
}
