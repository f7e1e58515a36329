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
    [InlineData("2022-01-21t10:56z", "2022-01-21T10:56:00+00:00")]                           // either case
    [InlineData("2022-01-21 10:56:18", "2022-01-21T10:56:18+00:00")]                         // a space for the T
    [InlineData("2022-01-21T10:56:18.1234567-0130", "2022-01-21T12:26:18.123456+00:00")]     // seven digits, +hhmm
    [InlineData("2022-01-21T10:56:18+02", "2022-01-21T08:56:18+00:00")]                      // +hh
    [InlineData("2024-02-29T00:00:00+14:00", "2024-02-28T10:00:00+00:00")]                   // leap day, widest offset
    [InlineData("2022-01-21T10:56:18.05Z", "2022-01-21T10:56:18.05+00:00")]                  // inner zeros kept, trailing dropped
    [InlineData("2022-01-21T10:56:18.000001Z", "2022-01-21T10:56:18.000001+00:00")]
    [InlineData("2022-01-21T10:56:18.0000001Z", "2022-01-21T10:56:18+00:00")]                // below a microsecond: not written
    public void Date_times_are_iso_8601_read_as_utc_without_an_offset_and_written_in_utc(string input, string written)
    {
        Assert.Equal(written, dateTime.Serialize(dateTime.ParseValue(input)));
    }

    [Theory]
    [InlineData("21/01/2022 10:56")]
    [InlineData("yesterday")]
    [InlineData("2022-13-01T00:00:00Z")]
    [InlineData("2023-02-29T00:00:00Z")]                // no such day
    [InlineData("2022-01-21T24:00:00Z")]
    [InlineData("2022-01-21T10:60:00Z")]
    [InlineData("2022-01-21T10:56:60Z")]
    [InlineData("2022-01-21T10:56:18.12345678Z")]       // eight digits
    [InlineData("2022-01-21T10:56:18.Z")]
    [InlineData("2022-01-21T10:56:18+15:00")]           // offset beyond 14 h
    [InlineData("2022-01-21T10:56:18+02:")]
    [InlineData("2022-01-21T10:56:18 ")]                // trailing text
    [InlineData("2022-1-21")]
    [InlineData("0000-01-01")]
    [InlineData("")]
    public void Other_date_forms_are_refused_with_an_example(string text)
    {
        var error = Assert.Throws<FormatException>(() => dateTime.ParseValue(text));

        Assert.Contains("ISO-8601", error.Message);
    }
}
