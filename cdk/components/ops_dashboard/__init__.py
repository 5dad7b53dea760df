from cdk.components.ops_dashboard.construct import OpsDashboard

__all__ = ["OpsDashboard"]
