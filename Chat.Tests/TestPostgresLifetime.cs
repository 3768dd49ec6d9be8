using Chat.Tests.Support;

namespace Chat.Tests;

/// <summary>Stops, at the end of the run, a PostgreSQL server the run started for itself.</summary>
[SetUpFixture]
public sealed class TestPostgresLifetime
{
    [OneTimeTearDown]
    public void StopPostgres() => TestPostgres.StopStarted();
}
