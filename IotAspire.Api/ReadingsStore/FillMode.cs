using System.ComponentModel;

namespace IotAspire.Api.ReadingsStore;

/// <summary>What <c>deviceAggregates</c> answers for a bucket of the range that holds no reading.</summary>
public enum FillMode
{
    [Description("Empty buckets are left out (the default).")]
    None,

    [Description("Every bucket of the range is present; an empty one has value null.")]
    Null,

    [Description("Every bucket of the range is present; an empty one has the value of the last bucket before it that held readings, also from before the range (null when there is none).")]
    Previous,

    [Description("Every bucket of the range is present; an empty one has the value on the straight line between the nearest buckets with readings on either side within the range (null at an edge without one).")]
    Linear,
}
