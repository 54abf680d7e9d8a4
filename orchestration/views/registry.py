"""The registry API (docs/design.md §3.7): register projects, employees, teams, backlog tasks,
holidays and PTO; read sprints. Lists are paged and filtered by the DRF defaults.

Each handler: input serializer -> service or selector -> output serializer. Domain
errors are raised, and the site's exception handler renders them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from orchestrator_site.errors import CONFLICT, NOT_FOUND

from .. import selectors
from ..filters import (
    ActionItemFilter,
    EmployeeFilter,
    HolidayFilter,
    ProjectFilter,
    PTOFilter,
    SprintFilter,
    TaskFilter,
)
from ..models import (
    PTO,
    Employee,
    Holiday,
    Project,
    ProjectMembership,
    RetrospectiveActionItem,
    Sprint,
    Task,
)
from ..serializers.registry import (
    ActionItemSerializer,
    ActionItemUpdateSerializer,
    EmployeeCreateSerializer,
    EmployeeSerializer,
    HolidayCreateSerializer,
    HolidaySerializer,
    MemberCreateSerializer,
    MemberSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    PTOCreateSerializer,
    PTOSerializer,
    SprintDetailSerializer,
    SprintSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    parse_new_tasks,
)
from ..services import registry

BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid body: DRF's error shape, one key per field (for a list of "
    "tasks, such an object per failing item, keyed by its index).",
)
BAD_FILTER = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Invalid filter value: one key per query parameter."
)


def _validated(serializer: BaseSerializer[Any]) -> Any:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _is_schema_generation(view: APIView) -> bool:
    # drf-spectacular instantiates views without URL kwargs to read their querysets.
    return getattr(view, "swagger_fake_view", False)


# --- projects ------------------------------------------------------------------------


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_projects",
        summary="List projects.",
        responses={200: ProjectSerializer(many=True), 400: BAD_FILTER},
    )
)
class ProjectListView(generics.ListAPIView[Project]):
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.list_projects()

    @extend_schema(
        operation_id="create_project",
        summary="Register a project (inactive until its first sprint).",
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = _validated(ProjectCreateSerializer(data=request.data))
        project = registry.create_project(**data)
        body = ProjectSerializer(selectors.get_project_detail(project.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class ProjectDetailView(APIView):
    @extend_schema(
        operation_id="get_project",
        summary="One project.",
        responses={200: ProjectSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(ProjectSerializer(selectors.get_project_detail(project_id)).data)

    @extend_schema(
        operation_id="update_project",
        summary="Rename a project.",
        request=ProjectUpdateSerializer(partial=True),
        responses={200: ProjectSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
    )
    def patch(self, request: Request, project_id: str) -> Response:
        data = _validated(ProjectUpdateSerializer(data=request.data, partial=True))
        registry.update_project(project_id=project_id, **data)
        return Response(ProjectSerializer(selectors.get_project_detail(project_id)).data)

    @extend_schema(
        operation_id="delete_project",
        summary="Delete a project and all its data, unless a sprint is in progress.",
        responses={204: None, 404: NOT_FOUND, 409: CONFLICT},
    )
    def delete(self, request: Request, project_id: str) -> Response:
        registry.delete_project(project_id=project_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- employees and members -----------------------------------------------------------


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_employees",
        summary="List employees.",
        responses={200: EmployeeSerializer(many=True), 400: BAD_FILTER},
    )
)
class EmployeeListView(generics.ListAPIView[Employee]):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter

    def get_queryset(self) -> QuerySet[Employee]:
        return selectors.list_employees()

    @extend_schema(
        operation_id="create_employee",
        summary="Register an employee.",
        request=EmployeeCreateSerializer,
        responses={201: EmployeeSerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        employee = registry.create_employee(
            **_validated(EmployeeCreateSerializer(data=request.data))
        )
        return Response(EmployeeSerializer(employee).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_project_members",
        summary="A project's team.",
        responses={200: MemberSerializer(many=True), 404: NOT_FOUND},
    )
)
class MemberListView(generics.ListAPIView[ProjectMembership]):
    serializer_class = MemberSerializer
    filter_backends: list[type[Any]] = []

    def get_queryset(self) -> QuerySet[ProjectMembership]:
        if _is_schema_generation(self):
            return ProjectMembership.objects.none()
        return selectors.list_project_members(self.kwargs["project_id"])

    @extend_schema(
        operation_id="add_project_member",
        summary="Add an existing employee to the team.",
        request=MemberCreateSerializer,
        responses={201: MemberSerializer, 400: BAD_INPUT, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, project_id: str) -> Response:
        selectors.require_project(project_id)
        data = _validated(MemberCreateSerializer(data=request.data))
        registry.add_member(project_id=project_id, employee_id=data["employee_id"])
        membership = selectors.get_membership(project_id, data["employee_id"])
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class MemberDetailView(APIView):
    @extend_schema(
        operation_id="remove_project_member",
        summary="Remove an employee from the team (their tasks keep the assignee).",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, project_id: str, employee_id: str) -> Response:
        registry.remove_member(project_id=project_id, employee_id=employee_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- tasks ---------------------------------------------------------------------------

TASKS_REQUEST = PolymorphicProxySerializer(
    component_name="TaskCreateBody",
    serializers=[TaskCreateSerializer, TaskCreateSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
TASKS_RESPONSE = PolymorphicProxySerializer(
    component_name="TaskCreated",
    serializers=[TaskSerializer, TaskSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_project_tasks",
        summary="A project's tasks, oldest first.",
        responses={200: TaskSerializer(many=True), 400: BAD_FILTER, 404: NOT_FOUND},
    )
)
class ProjectTaskListView(generics.ListAPIView[Task]):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self) -> QuerySet[Task]:
        if _is_schema_generation(self):
            return Task.objects.none()
        return selectors.list_project_tasks(self.kwargs["project_id"])

    @extend_schema(
        operation_id="create_project_tasks",
        summary="Add one task, or a list of up to 500 tasks all or nothing, to the backlog.",
        description="Send one task object or a JSON list of them; the answer has the same "
        "shape. Assignees must be members of the project. Status is derived: "
        "`completed` at 100% progress, otherwise `unassigned` (new tasks are in no sprint).",
        request=TASKS_REQUEST,
        responses={201: TASKS_RESPONSE, 400: BAD_INPUT, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, project_id: str) -> Response:
        selectors.require_project(project_id)
        team = set(selectors.team_member_ids(project_id))
        new_tasks, many = parse_new_tasks(request.data, project_id=project_id, team=team)
        created = registry.create_tasks(project_id=project_id, tasks=new_tasks)
        tasks = selectors.get_tasks([task.task_id for task in created])
        body = TaskSerializer(tasks, many=True).data if many else TaskSerializer(tasks[0]).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class TaskDetailView(APIView):
    @extend_schema(
        operation_id="get_task",
        summary="One task.",
        responses={200: TaskSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, task_id: str) -> Response:
        return Response(TaskSerializer(selectors.get_task(task_id)).data)

    @extend_schema(
        operation_id="update_task",
        summary="Change a task's title, description, assignee or progress.",
        description="Status follows: 100% is `completed`; in a sprint, above 0% is "
        "`in_progress` and 0% `assigned_to_sprint`; outside a sprint `unassigned`. "
        "The sprint is set by orchestration. 409 when changing the progress of a task "
        "that a closed sprint keeps.",
        request=TaskUpdateSerializer(partial=True),
        responses={200: TaskSerializer, 400: BAD_INPUT, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request: Request, task_id: str) -> Response:
        project_id = selectors.get_task(task_id).project_id
        context = {"team": set(selectors.team_member_ids(project_id)), "project_id": project_id}
        data = _validated(TaskUpdateSerializer(data=request.data, partial=True, context=context))
        task = registry.update_task(task_id=task_id, **data)
        return Response(TaskSerializer(task).data)


# --- sprints -------------------------------------------------------------------------


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_project_sprints",
        summary="A project's sprints, newest first.",
        responses={200: SprintSerializer(many=True), 400: BAD_FILTER, 404: NOT_FOUND},
    )
)
class ProjectSprintListView(generics.ListAPIView[Sprint]):
    serializer_class = SprintSerializer
    filterset_class = SprintFilter

    def get_queryset(self) -> QuerySet[Sprint]:
        if _is_schema_generation(self):
            return Sprint.objects.none()
        return selectors.list_project_sprints(self.kwargs["project_id"])


@extend_schema(tags=["registry"])
class SprintDetailView(APIView):
    @extend_schema(
        operation_id="get_sprint",
        summary="One sprint with its tasks and, once closed, its closing snapshot.",
        responses={200: SprintDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, sprint_id: str) -> Response:
        return Response(SprintDetailSerializer(selectors.get_sprint_detail(sprint_id)).data)


# --- retrospective action items -------------------------------------------------------


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_action_items",
        summary="The action items of a project's retrospectives, oldest first.",
        responses={200: ActionItemSerializer(many=True), 400: BAD_FILTER, 404: NOT_FOUND},
    )
)
class ProjectActionItemListView(generics.ListAPIView[RetrospectiveActionItem]):
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    def get_queryset(self) -> QuerySet[RetrospectiveActionItem]:
        if _is_schema_generation(self):
            return RetrospectiveActionItem.objects.none()
        return selectors.list_project_action_items(self.kwargs["project_id"])


@extend_schema(tags=["registry"])
class ActionItemDetailView(APIView):
    @extend_schema(
        operation_id="update_action_item",
        summary="Mark a retrospective action item done (or open again).",
        request=ActionItemUpdateSerializer,
        responses={200: ActionItemSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
    )
    def patch(self, request: Request, item_id: str) -> Response:
        data = _validated(ActionItemUpdateSerializer(data=request.data))
        item = registry.update_action_item(item_id=item_id, status=data["status"])
        return Response(ActionItemSerializer(item).data)


# --- calendar ------------------------------------------------------------------------


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_holidays",
        summary="List holidays by date.",
        responses={200: HolidaySerializer(many=True), 400: BAD_FILTER},
    )
)
class HolidayListView(generics.ListAPIView[Holiday]):
    serializer_class = HolidaySerializer
    filterset_class = HolidayFilter

    def get_queryset(self) -> QuerySet[Holiday]:
        return selectors.list_holidays()

    @extend_schema(
        operation_id="create_holiday",
        summary="Register a holiday (one per date and name).",
        request=HolidayCreateSerializer,
        responses={201: HolidaySerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        holiday = registry.create_holiday(**_validated(HolidayCreateSerializer(data=request.data)))
        return Response(HolidaySerializer(holiday).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
@extend_schema_view(
    get=extend_schema(
        operation_id="list_pto",
        summary="List PTO by start date.",
        responses={200: PTOSerializer(many=True), 400: BAD_FILTER},
    )
)
class PTOListView(generics.ListAPIView[PTO]):
    serializer_class = PTOSerializer
    filterset_class = PTOFilter

    def get_queryset(self) -> QuerySet[PTO]:
        return selectors.list_pto()

    @extend_schema(
        operation_id="create_pto",
        summary="Record an employee's time off (it may not overlap their other PTO).",
        request=PTOCreateSerializer,
        responses={201: PTOSerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = _validated(PTOCreateSerializer(data=request.data))
        pto = registry.create_pto(
            employee_id=data["employee"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            reason=data.get("reason", ""),
        )
        return Response(PTOSerializer(selectors.list_pto().get(pk=pto.pk)).data, status=201)
