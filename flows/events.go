package flows

// Event card types: the first card of a flow, whose outputs are the run's input.
const (
	EventManual         = "event.manual"
	EventHelper         = "event.helper"
	EventAction         = "event.action"
	EventWebhook        = "event.webhook"
	EventRegistration   = "event.registration"
	EventDeregistration = "event.deregistration"
	EventAuthPing       = "event.authping"
	// EventConnector is a deployed connector's Webhook Event card in a
	// workspace flow: its inputs are the event's options, its outputs what
	// the connector's Webhook Event flow returns.
	EventConnector = "event.connector"
	// EventAPIEndpoint starts a workspace flow for each request at its
	// invoke URL; the caller waits for the flow's answer (endpoint.go).
	EventAPIEndpoint = "event.api_endpoint"
	// EventSchedule starts a workspace flow on time while it is ON (schedule.go).
	EventSchedule = "event.schedule"
	// EventPolling starts a connector's Polling Event flow on each poll (polling.go).
	EventPolling = "event.polling"
)

// Field keys the webhook flows rely on.
const (
	FieldEventURL         = "eventUrl"
	FieldRegistrationData = "registrationData"
)

// eventSpecs are the event cards: their fixed outputs, and whether the
// builder may add more (the inputs a helper or action flow takes).
var eventSpecs = map[string]CardSpec{
	EventManual: {Type: EventManual, Title: "Manual", Category: CategoryEvent, ExtensibleOutputs: true,
		Help: "Run the flow by hand or from the API with the inputs you define."},
	EventHelper: {Type: EventHelper, Title: "Helper Flow", Category: CategoryEvent, ExtensibleOutputs: true,
		Help: "Called by Call Flow, For Each, Map, Filter or Reduce with the inputs you define."},
	EventAction: {Type: EventAction, Title: "Action", Category: CategoryEvent, ExtensibleOutputs: true,
		Help: "Defines a connector action card: its inputs are the card's inputs, its Return card its outputs."},
	EventWebhook: {Type: EventWebhook, Title: "Webhook Event", Category: CategoryEvent,
		Help: "Receives the raw request that arrived at the Event URL.",
		Outputs: []Field{
			{Key: "method", Label: "Method", Type: TypeText},
			{Key: "headers", Label: "Headers", Type: TypeObject, Help: "Header names in lower case."},
			{Key: "query", Label: "Query", Type: TypeObject},
			{Key: "body", Label: "Body", Type: TypeAny, Help: "Parsed JSON when the request is JSON, otherwise text."},
		}},
	EventRegistration: {Type: EventRegistration, Title: "Webhook Event: Registration", Category: CategoryEvent, ExtensibleOutputs: true,
		Help:    "Runs when a flow using the webhook event is turned on: register the Event URL with the service.",
		Outputs: []Field{{Key: FieldEventURL, Label: "Event URL", Type: TypeText, Required: true}}},
	EventDeregistration: {Type: EventDeregistration, Title: "Webhook Event: Deregistration", Category: CategoryEvent, ExtensibleOutputs: true,
		Help:    "Runs when the flow is turned off, with the Registration Data its registration returned.",
		Outputs: []Field{{Key: FieldRegistrationData, Label: "Registration Data", Type: TypeAny, Required: true}}},
	EventConnector: {Type: EventConnector, Title: "Connector event", Category: CategoryEvent, ExtensibleInputs: true, ExtensibleOutputs: true,
		Help: "Starts the flow for each event the connector's service sends to the flow's Event URL while the flow is ON."},
	EventAPIEndpoint: {Type: EventAPIEndpoint, Title: "API Endpoint", Category: CategoryEvent,
		Help: "Runs the flow for each request at its invoke URL while the flow is ON; the caller gets the flow's Return, Return Raw, Return Error or HTTP Close as the answer.",
		Outputs: []Field{
			{Key: "method", Label: "Method", Type: TypeText},
			{Key: "headers", Label: "Headers", Type: TypeObject, Help: "Header names in lower case; credentials are masked."},
			{Key: "query", Label: "Query", Type: TypeObject},
			{Key: "body", Label: "Body", Type: TypeAny, Help: "Parsed JSON when the request is JSON, otherwise text."},
			{Key: FieldExecutionID, Label: "Execution ID", Type: TypeText},
		}},
	EventSchedule: {Type: EventSchedule, Title: "Schedule", Category: CategoryEvent,
		Help: "Starts the flow on time while it is ON: on a cron expression in a time zone, or every so often.",
		Inputs: []Field{
			{Key: FieldScheduleMode, Label: "Mode", Type: TypeText, Required: true, Choices: []string{string(ScheduleInterval), string(ScheduleCron)}, Default: string(ScheduleInterval)},
			{Key: FieldScheduleEvery, Label: "Every", Type: TypeText, Help: "15m, 1h30m, 1d (interval)"},
			{Key: FieldScheduleExpression, Label: "Cron expression", Type: TypeText, Help: "0 9 * * 1-5 (cron)"},
			{Key: FieldScheduleTimezone, Label: "Time zone", Type: TypeText, Help: "Europe/Paris (UTC if empty)"},
			{Key: FieldScheduleStart, Label: "Start", Type: TypeText, Help: "2026-03-01 09:00 (optional)"},
			{Key: FieldScheduleEnd, Label: "End", Type: TypeText, Help: "2026-12-31 (optional)"},
		},
		Outputs: []Field{
			{Key: FieldScheduledAt, Label: "Scheduled at", Type: TypeDate, Help: "The tick this run is for."},
			{Key: FieldFiredAt, Label: "Fired at", Type: TypeDate, Help: "When the run started."},
			{Key: FieldMissed, Label: "Missed ticks", Type: TypeNumber, Help: "Earlier ticks missed while Hookflow was down, run as this one."},
		}},
	EventPolling: {Type: EventPolling, Title: "Polling Event", Category: CategoryEvent, ExtensibleOutputs: true,
		Help: "Runs every so often while a flow using the event is ON, with the options its user filled (the fields you add here) and the connection: read the cursor, fetch what is new, set the cursor and Return the records."},
	EventUnbound: unboundEventSpec,
	EventAuthPing: {Type: EventAuthPing, Title: "Auth Ping", Category: CategoryEvent,
		Help: "Checks a connection: fails when the credentials do not work."},
	EventHookflow: hookflowEventSpec,
}

// EventSpec returns the spec of an event card type.
func EventSpec(typ string) (CardSpec, bool) {
	s, ok := eventSpecs[typ]
	return s, ok
}

// kindEvents says which event cards each flow kind starts with.
var kindEvents = map[Kind][]string{
	KindAction:                {EventAction},
	KindHelper:                {EventHelper},
	KindWebhookEvent:          {EventWebhook},
	KindWebhookRegistration:   {EventRegistration},
	KindWebhookDeregistration: {EventDeregistration},
	KindAuthPing:              {EventAuthPing},
	KindPollingEvent:          {EventPolling},
	KindWorkspace:             {EventManual, EventHelper, EventConnector, EventAPIEndpoint, EventSchedule, EventUnbound, EventHookflow},
}
