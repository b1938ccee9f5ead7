package verify

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

var (
	hbSquare   = Place{Name: "people-square", Lat: 31.2304, Lon: 121.4737, RadiusMeters: 500}
	hbHKIsland = Region{Name: "hk-island", Polygon: []LatLon{{22.29, 114.13}, {22.29, 114.25}, {22.20, 114.25}, {22.20, 114.13}}}
	// hbFiji crosses the antimeridian: its top edge runs from 178°E to 178°W.
	hbFiji = Region{Name: "fiji-dateline", Polygon: []LatLon{{-16, 178}, {-16, -178}, {-19, -178}, {-19, 178}}}
)

func hbPos(lat, lon, acc float64, at time.Time) *Position {
	return &Position{Lat: lat, Lon: lon, AccuracyMeters: acc, At: at}
}

func TestHaversine(t *testing.T) {
	for _, tc := range []struct {
		lat1, lon1, lat2, lon2, want float64
	}{
		{0, 0, 1, 0, 111195.08023353292},                // one degree of meridian: R·π/180
		{0, 0, 0, 180, 20015114.442035925},              // antipodes: π·R
		{0, 179.5, 0, -179.5, 111195.08023353292},       // across the antimeridian
		{31.2304, 121.4737, 31.2314, 121.4737, 111.195}, // a thousandth of a degree
		{48.8566, 2.3522, 48.8566, 2.3522, 0},
	} {
		if got := distanceMeters(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(got-tc.want) > 0.001 {
			t.Errorf("distance(%v,%v → %v,%v) = %.4f, want %.4f", tc.lat1, tc.lon1, tc.lat2, tc.lon2, got, tc.want)
		}
	}
}

func TestLocationPlace(t *testing.T) {
	ctx := context.Background()
	c := hbClock()
	v, err := NewLocationVerifier(WithPlaces(hbSquare), WithLocationClock(c))
	if err != nil {
		t.Fatal(err)
	}
	if v.Method() != MethodLocation || v.Factor() != FactorContext {
		t.Fatal("method or factor")
	}
	now := c.Now()
	check := func(pos *Position) error { return v.Verify(ctx, hbAlice, Proof{Method: MethodLocation, Position: pos}) }

	for name, pos := range map[string]*Position{
		"center":              hbPos(31.2304, 121.4737, 20, now),
		"111 m north":         hbPos(31.2314, 121.4737, 20, now),
		"accuracy = radius":   hbPos(31.2304, 121.4737, 500, now),
		"2 minutes old":       hbPos(31.2304, 121.4737, 20, now.Add(-2*time.Minute)),
		"30 s in the future":  hbPos(31.2304, 121.4737, 20, now.Add(30*time.Second)),
		"just inside (499 m)": hbPos(31.2304+499/111195.08023353292, 121.4737, 20, now),
	} {
		if err := check(pos); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Outside: 2 km north. The error names the rule, not the position.
	err = check(hbPos(31.2484, 121.4737, 20, now))
	hbIsMsg(t, err, ErrFailed, "outside people-square")
	hbNoLeak(t, err, "31.2", "121.4")
	hbIs(t, check(hbPos(31.2304+501/111195.08023353292, 121.4737, 20, now)), ErrFailed)
	// Too coarse for the place.
	hbIsMsg(t, check(hbPos(31.2304, 121.4737, 501, now)), ErrFailed, "accuracy 501 m is too coarse for people-square (radius 500 m)")
	// Stale and future.
	hbIsMsg(t, check(hbPos(31.2304, 121.4737, 20, now.Add(-2*time.Minute-time.Second))), ErrExpired, "121 seconds old")
	hbIsMsg(t, check(hbPos(31.2304, 121.4737, 20, now.Add(31*time.Second))), ErrExpired, "in the future")

	for name, pos := range map[string]*Position{
		"NaN lat":     hbPos(math.NaN(), 121.4737, 20, now),
		"Inf lon":     hbPos(31.2304, math.Inf(1), 20, now),
		"lat 91":      hbPos(91, 121.4737, 20, now),
		"lon -181":    hbPos(31.2304, -181, 20, now),
		"no accuracy": hbPos(31.2304, 121.4737, 0, now),
		"NaN acc":     hbPos(31.2304, 121.4737, math.NaN(), now),
		"no time":     hbPos(31.2304, 121.4737, 20, time.Time{}),
	} {
		if err := check(pos); !isCode(err, pay.ErrInvalidRequest.Code) {
			t.Errorf("%s: %v, want invalid_request", name, err)
		}
	}
	hbIsMsg(t, check(nil), ErrFailed, "no position")
	hbIs(t, v.Verify(ctx, hbAlice, Proof{Method: MethodAttributes, Position: hbPos(31.2304, 121.4737, 20, now)}), pay.ErrInvalidRequest)
}

func TestLocationRegion(t *testing.T) {
	ctx := context.Background()
	c := hbClock()
	v, err := NewLocationVerifier(WithRegions(hbHKIsland, hbFiji), WithLocationClock(c))
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	at := func(lat, lon, acc float64) error {
		return v.Verify(ctx, hbAlice, Proof{Method: MethodLocation, Position: hbPos(lat, lon, acc, now)})
	}
	for _, in := range [][2]float64{{22.25, 114.17}, {22.21, 114.24}, {-17.5, 179.5}, {-17.5, -179.5}, {-17.5, 180}, {-17.5, -180}, {-16.01, 178.01}} {
		if err := at(in[0], in[1], 100); err != nil {
			t.Errorf("%v: %v", in, err)
		}
	}
	for _, out := range [][2]float64{{22.32, 114.17}, {22.25, 114.26}, {-17.5, 177.9}, {-17.5, -177.9}, {-17.5, 0}, {-15.9, 179}, {17.5, 179}} {
		hbIsMsg(t, at(out[0], out[1], 100), ErrFailed, "outside hk-island, fiji-dateline")
	}
	hbIsMsg(t, at(22.25, 114.17, 1001), ErrFailed, "too coarse for hk-island (1000 m)")
	if err := at(22.25, 114.17, 1000); err != nil {
		t.Fatal(err)
	}
}

func TestLocationRegionValidation(t *testing.T) {
	for name, r := range map[string]Region{
		"two vertices":   {Name: "x", Polygon: []LatLon{{0, 0}, {1, 1}}},
		"around a pole":  {Name: "arctic", Polygon: []LatLon{{80, 0}, {80, 120}, {80, -120}}},
		"180° edge":      {Name: "x", Polygon: []LatLon{{0, 0}, {0, 180}, {10, 90}}},
		"lat out":        {Name: "x", Polygon: []LatLon{{0, 0}, {95, 1}, {1, 1}}},
		"NaN":            {Name: "x", Polygon: []LatLon{{0, 0}, {math.NaN(), 1}, {1, 1}}},
		"no name":        {Polygon: []LatLon{{0, 0}, {0, 1}, {1, 1}}},
		"too many edges": {Name: "x", Polygon: make([]LatLon, maxRegionVertices+1)},
	} {
		if _, err := NewLocationVerifier(WithRegions(r)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, p := range map[string]Place{
		"no radius":   {Name: "x", Lat: 1, Lon: 1},
		"NaN radius":  {Name: "x", Lat: 1, Lon: 1, RadiusMeters: math.NaN()},
		"huge radius": {Name: "x", Lat: 1, Lon: 1, RadiusMeters: 3e7},
		"bad lon":     {Name: "x", Lat: 1, Lon: 200, RadiusMeters: 1},
		"no name":     {Lat: 1, Lon: 1, RadiusMeters: 1},
	} {
		if _, err := NewLocationVerifier(WithPlaces(p)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewLocationVerifier(WithLocationRules(nil)); err == nil {
		t.Error("nil rules accepted")
	}
	if _, err := NewLocationVerifier(WithLocationClock(nil)); err == nil {
		t.Error("nil clock accepted")
	}
}

func TestLocationPerUserRules(t *testing.T) {
	ctx := context.Background()
	c := hbClock()
	home := Place{Name: "alice-home", Lat: 39.9042, Lon: 116.4074, RadiusMeters: 200}
	errDown := errors.New("rules store down")
	rules := func(ctx context.Context, s Subject) ([]Place, []Region, error) {
		switch s.UserID {
		case "alice":
			return []Place{home}, nil, nil
		case "broken":
			return nil, nil, errDown
		case "bad":
			return []Place{{Name: "bad"}}, nil, nil
		}
		return nil, nil, nil
	}
	global, err := NewLocationVerifier(WithPlaces(hbSquare), WithLocationRules(rules), WithLocationClock(c))
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	at := func(v *LocationVerifier, s Subject, lat, lon float64) error {
		return v.Verify(ctx, s, Proof{Method: MethodLocation, Position: hbPos(lat, lon, 50, now)})
	}
	// Alice: her home and the global place; Bob: the global place only.
	if err := at(global, hbAlice, home.Lat, home.Lon); err != nil {
		t.Fatal(err)
	}
	if err := at(global, hbAlice, hbSquare.Lat, hbSquare.Lon); err != nil {
		t.Fatal(err)
	}
	hbIsMsg(t, at(global, hbBob, home.Lat, home.Lon), ErrFailed, "outside people-square")
	err = at(global, Subject{UserID: "broken"}, home.Lat, home.Lon)
	hbIs(t, err, pay.ErrUnavailable)
	if !errors.Is(err, errDown) {
		t.Fatal("the hook's error is not kept as the cause")
	}
	hbIs(t, at(global, Subject{UserID: "bad"}, home.Lat, home.Lon), pay.ErrInternal)

	// Rules only: a user with none has nothing set up.
	only, _ := NewLocationVerifier(WithLocationRules(rules), WithLocationClock(c))
	hbIs(t, at(only, hbBob, home.Lat, home.Lon), ErrNotSetUp)
	empty, _ := NewLocationVerifier()
	hbIs(t, at(empty, hbAlice, home.Lat, home.Lon), ErrNotSetUp)
}

func TestLocationErrorListsAtMostFiveRules(t *testing.T) {
	var places []Place
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		places = append(places, Place{Name: n, Lat: 0, Lon: 0, RadiusMeters: 10})
	}
	c := hbClock()
	v, _ := NewLocationVerifier(WithPlaces(places...), WithLocationClock(c))
	err := v.Verify(context.Background(), hbAlice, Proof{Method: MethodLocation, Position: hbPos(10, 10, 5, c.Now())})
	hbIsMsg(t, err, ErrFailed, "outside a, b, c, d, e and 2 more")
	if strings.Contains(err.Error(), " f") {
		t.Fatalf("%v lists more than five", err)
	}
}
