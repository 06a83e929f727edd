package uiza

// #include "uiza.h"
import "C"

import "encoding/json"

// LiveEntity is the live entity a reset, rotation or read returns. The fields are read with
// the library's typed accessors, so every binding sees the same values;
// a field the API left out is the zero value. Raw is the document as the
// API sent it, for anything else it may carry.
type LiveEntity struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Ingest      Ingest   `json:"ingest"`
	Playback    Playback `json:"playback"`
	Region      string   `json:"region"`
	Status      string   `json:"status"`
	DVR         bool     `json:"dvr"`
	Encode      bool     `json:"encode"`
	// CreatedAt and UpdatedAt are RFC 3339 times as the API sent them.
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// Ingest is where an encoder publishes: the RTMP URL and the stream key.
// Both are empty for an entity in "init" state ("ingest": null), which only
// GetLiveEntity can return.
type Ingest struct {
	URL string `json:"url"`
	Key string `json:"key"`
}

// Playback holds the viewers' URLs.
type Playback struct {
	HLS string `json:"hls"`
}

// entityFromJSON reads the out_json of a successful call. The caller
// still owns (and frees) doc.
func entityFromJSON(doc *C.char) (*LiveEntity, error) {
	if doc == nil {
		return nil, &Error{Status: StatusInternal, Message: "out of memory", ErrorType: "internal_error"}
	}
	var parsed *C.UizaLiveEntity
	if st := Status(C.uiza_live_entity_parse(doc, &parsed)); st != StatusOK {
		// Cannot happen for an OK call: the library validated the body.
		return nil, &Error{Status: st, Message: "the response is not a live entity", ErrorType: "invalid_response"}
	}
	defer C.uiza_live_entity_free(parsed)

	e := &LiveEntity{
		ID:          goString(C.uiza_live_entity_id(parsed)),
		Name:        goString(C.uiza_live_entity_name(parsed)),
		Description: goString(C.uiza_live_entity_description(parsed)),
		Ingest: Ingest{
			URL: goString(C.uiza_live_entity_ingest_url(parsed)),
			Key: goString(C.uiza_live_entity_ingest_key(parsed)),
		},
		Playback:  Playback{HLS: goString(C.uiza_live_entity_playback_hls(parsed))},
		Region:    goString(C.uiza_live_entity_region(parsed)),
		Status:    goString(C.uiza_live_entity_status(parsed)),
		CreatedAt: goString(C.uiza_live_entity_created_at(parsed)),
		UpdatedAt: goString(C.uiza_live_entity_updated_at(parsed)),
		Raw:       json.RawMessage(C.GoString(doc)),
	}
	var flag C.bool
	if C.uiza_live_entity_dvr(parsed, &flag) {
		e.DVR = bool(flag)
	}
	if C.uiza_live_entity_encode(parsed, &flag) {
		e.Encode = bool(flag)
	}
	return e, nil
}

// errorFromJSON turns a failed call's status and out_json into an *Error.
// The caller still owns (and frees) doc.
func errorFromJSON(st Status, doc *C.char, kind callKind) *Error {
	e := &Error{Status: st, Message: st.String()}
	if kind == keyCall {
		// Without a document (out of memory) nothing is known.
		e.rotated = rotationUnknown
	}
	var parsed *C.UizaError
	if doc == nil || C.uiza_error_parse(doc, &parsed) != C.UIZA_STATUS_OK {
		return e
	}
	defer C.uiza_error_free(parsed)
	members := parseDocument(C.GoString(doc))
	if members.rotated != rotationNotApplicable || kind != keyCall {
		e.rotated = members.rotated
	}
	e.Attempts, e.ElapsedMs = members.attempts, members.elapsedMs
	e.Message = goString(C.uiza_error_message(parsed))
	e.ErrorType = goString(C.uiza_error_type(parsed))
	if code := int(C.uiza_error_http_status(parsed)); code > 0 {
		e.HTTPStatus = code
	}
	return e
}

// goString copies a library-owned string; NULL (an absent field) is "".
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
