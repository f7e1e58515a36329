using GraphQLParser.AST;
using IotAspire.Api.Schema;

namespace IotAspire.UnitTests.Readings;

public sealed class ScalarTests
{
    private readonly UuidGraphType uuid = new();
    private readonly IsoDateTimeGraphType dateTime = new();

    [Fact]
    public void A_uuid_is_read_and_written_in_its_canonical_form()
    {
        var id = Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d");

        Assert.Equal(id, uuid.ParseValue("71bf19cb-e7e7-4334-af31-5ebba56a655d"));
        Assert.Equal(id, uuid.ParseLiteral(new GraphQLStringValue("71bf19cb-e7e7-4334-af31-5ebba56a655d")));
        Assert.Equal("71bf19cb-e7e7-4334-af31-5ebba56a655d", uuid.Serialize(id));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("71bf19cbe7e74334af315ebba56a655d")]            // no dashes
    [InlineData("{71bf19cb-e7e7-4334-af31-5ebba56a655d}")]      // braces
    public void Other_uuid_forms_are_refused_with_the_expected_form(string text)
    {
        var error = Assert.Throws<FormatException>(() => uuid.ParseValue(text));

        Assert.Contains("71bf19cb-e7e7-4334-af31-5ebba56a655d", error.Message);
    }

    [Theory]
    [InlineData("2022-01-21T10:56:18.950901", "2022-01-21T10:56:18.950901+00:00")]         // no offset: UTC
    [InlineData("2022-01-21T10:56:18.950901Z", "2022-01-21T10:56:18.950901+00:00")]
    [InlineData("2022-01-21T12:56:18.950901+02:00", "2022-01-21T10:56:18.950901+00:00")]   // converted to UTC
    [InlineData("2022-01-21", "2022-01-21T00:00:00+00:00")]
    public void Date_times_are_iso_8601_read_as_utc_without_an_offset_and_written_in_utc(string input, string written)
    {
        Assert.Equal(written, dateTime.Serialize(dateTime.ParseValue(input)));
    }

    [Theory]
    [InlineData("21/01/2022 10:56")]
    [InlineData("yesterday")]
    [InlineData("2022-13-01T00:00:00Z")]
    public void Other_date_forms_are_refused_with_an_example(string text)
    {
        var error = Assert.Throws<FormatException>(() => dateTime.ParseValue(text));

        Assert.Contains("ISO-8601", error.Message);
    }
}
