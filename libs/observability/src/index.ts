export { dashboardFiles, dashboardJson, expandGrafanaMacros, panelQueries, type DashboardFile, type MacroValues, type PanelQuery } from './dashboard-files';
export { evaluationDashboard } from './evaluation.dashboard';
export { platformDashboard } from './platform.dashboard';
export { PostgresQueryBuilder, type PostgresQuery } from './postgres-query';
