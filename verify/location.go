package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Location rule limits.
const (
	// EarthRadiusMeters is the mean Earth radius (IUGG) haversine uses.
	EarthRadiusMeters = 6371008.8
	// MaxPositionAge is how old a reported position may be.
	MaxPositionAge = 2 * time.Minute
	// MaxPositionSkew is how far in the future a position's time may be
	// (device clocks drift).
	MaxPositionSkew = 30 * time.Second
	// MaxRegionAccuracy is the coarsest accuracy a region check accepts.
	MaxRegionAccuracy = 1000.0
	// maxRegionVertices bounds a region's polygon.
	maxRegionVertices = 10000
	// maxPlaceRadius is half the Earth's circumference.
	maxPlaceRadius = math.Pi * EarthRadiusMeters
)

// LatLon is a point in WGS 84 degrees.
type LatLon struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Place is a circle: positions within RadiusMeters of (Lat, Lon) by
// great-circle (haversine) distance are inside.
type Place struct {
	Name         string  `json:"name"`
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
	RadiusMeters float64 `json:"radius_m"`
}

// Region is a polygon of at least 3 vertices, tested by ray casting. Each
// edge runs straight in latitude/longitude (not along a great circle) and
// the short way round, so an edge spans less than 180° of longitude; with
// that rule a region may cross the antimeridian (a vertex at 179° followed
// by one at -179° means an edge 2° wide). A region may not enclose a pole.
type Region struct {
	Name    string   `json:"name"`
	Polygon []LatLon `json:"polygon"`
}

// LocationRules returns the places and regions one user may be in; it is
// how rules are configured per user. Its places and regions are checked in
// addition to the global ones.
type LocationRules func(ctx context.Context, s Subject) ([]Place, []Region, error)

// LocationVerifier checks that a device's reported position (Proof.Position)
// is fresh — measured at most 2 minutes ago and at most 30 seconds in the
// future — and inside any configured place or region, with an accuracy no
// coarser than the place's radius (1000 m for a region). A position is a
// context rule: the device asserts it, so a policy can require it but it
// never counts as a factor. An outside position is ErrFailed naming the
// rules; a stale one ErrExpired.
type LocationVerifier struct {
	clock   pay.Clock
	places  []Place
	regions []region
	rules   LocationRules
}

// region is a validated Region with its longitudes unwrapped, so that no
// edge jumps across the antimeridian.
type region struct {
	name string
	pts  []LatLon
}

// LocationOption configures a LocationVerifier.
type LocationOption func(*LocationVerifier) error

// WithPlaces adds places every user may be in.
func WithPlaces(places ...Place) LocationOption {
	return func(v *LocationVerifier) error {
		for _, p := range places {
			if err := p.validate(); err != nil {
				return err
			}
		}
		v.places = append(v.places, places...)
		return nil
	}
}

// WithRegions adds regions every user may be in.
func WithRegions(regions ...Region) LocationOption {
	return func(v *LocationVerifier) error {
		for _, r := range regions {
			rr, err := r.prepare()
			if err != nil {
				return err
			}
			v.regions = append(v.regions, rr)
		}
		return nil
	}
}

// WithLocationRules adds per-user places and regions.
func WithLocationRules(f LocationRules) LocationOption {
	return func(v *LocationVerifier) error {
		if f == nil {
			return errors.New("verify: nil location rules")
		}
		v.rules = f
		return nil
	}
}

// WithLocationClock sets the clock positions are judged fresh by (default:
// the system clock).
func WithLocationClock(c pay.Clock) LocationOption {
	return func(v *LocationVerifier) error {
		if c == nil {
			return errors.New("verify: nil location clock")
		}
		v.clock = c
		return nil
	}
}

// NewLocationVerifier returns a location verifier. Without places, regions
// or rules every check is ErrNotSetUp.
func NewLocationVerifier(opts ...LocationOption) (*LocationVerifier, error) {
	v := &LocationVerifier{clock: clock.System{}}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Method returns MethodLocation.
func (v *LocationVerifier) Method() Method { return MethodLocation }

// Factor returns FactorContext.
func (v *LocationVerifier) Factor() Factor { return FactorContext }

// Verify checks p.Position for s (see LocationVerifier).
func (v *LocationVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodLocation, p); err != nil {
		return err
	}
	if err := checkSubject(s, false); err != nil {
		return err
	}
	places, regions := v.places, v.regions
	if v.rules != nil {
		up, ur, err := v.rules(ctx, s)
		if err != nil {
			var pe *pay.Error
			if errors.As(err, &pe) {
				return pe
			}
			return pay.Errorf(pay.ErrUnavailable, "position", "the user's location rules are unavailable").Wrap(err)
		}
		for _, p := range up {
			if err := p.validate(); err != nil {
				return pay.Errorf(pay.ErrInternal, "position", "a location rule of the user is invalid").Wrap(err)
			}
		}
		places = append(places[:len(places):len(places)], up...)
		for _, r := range ur {
			rr, err := r.prepare()
			if err != nil {
				return pay.Errorf(pay.ErrInternal, "position", "a location rule of the user is invalid").Wrap(err)
			}
			regions = append(regions[:len(regions):len(regions)], rr)
		}
	}
	if len(places) == 0 && len(regions) == 0 {
		return pay.Errorf(ErrNotSetUp, "position", "no places or regions are configured")
	}
	pos := p.Position
	if pos == nil {
		return pay.Errorf(ErrFailed, "position", "no position was given")
	}
	if err := checkPosition(*pos, v.clock.Now()); err != nil {
		return err
	}
	var outside, coarse []string
	for _, pl := range places {
		if distanceMeters(pos.Lat, pos.Lon, pl.Lat, pl.Lon) > pl.RadiusMeters {
			outside = append(outside, pl.Name)
			continue
		}
		if pos.AccuracyMeters > pl.RadiusMeters {
			coarse = append(coarse, fmt.Sprintf("%s (radius %.0f m)", pl.Name, pl.RadiusMeters))
			continue
		}
		return nil
	}
	for _, r := range regions {
		if !r.contains(pos.Lat, pos.Lon) {
			outside = append(outside, r.name)
			continue
		}
		if pos.AccuracyMeters > MaxRegionAccuracy {
			coarse = append(coarse, fmt.Sprintf("%s (%.0f m)", r.name, MaxRegionAccuracy))
			continue
		}
		return nil
	}
	if len(coarse) > 0 {
		return pay.Errorf(ErrFailed, "position", "position accuracy %.0f m is too coarse for %s", pos.AccuracyMeters, nameList(coarse))
	}
	return pay.Errorf(ErrFailed, "position", "position is outside %s", nameList(outside))
}

// nameList quotes at most five rule names for an error message.
func nameList(names []string) string {
	const show = 5
	q := make([]string, 0, show)
	for _, n := range names[:min(len(names), show)] {
		q = append(q, pay.Clip(n, 64))
	}
	s := strings.Join(q, ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}

// checkPosition refuses a malformed or stale position.
func checkPosition(p Position, now time.Time) error {
	switch {
	case !finite(p.Lat) || !finite(p.Lon) || p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180:
		return pay.Errorf(pay.ErrInvalidRequest, "position", "latitude must be in -90..90 and longitude in -180..180")
	case !finite(p.AccuracyMeters) || p.AccuracyMeters <= 0:
		return pay.Errorf(pay.ErrInvalidRequest, "position", "the position needs its accuracy in meters (> 0)")
	case p.At.IsZero():
		return pay.Errorf(pay.ErrInvalidRequest, "position", "the position needs the time it was measured")
	case now.Sub(p.At) > MaxPositionAge:
		return pay.Errorf(ErrExpired, "position", "the position is %d seconds old; at most %d are accepted",
			int(now.Sub(p.At)/time.Second), int(MaxPositionAge/time.Second))
	case p.At.Sub(now) > MaxPositionSkew:
		return pay.Errorf(ErrExpired, "position", "the position is timestamped %d seconds in the future", int(p.At.Sub(now)/time.Second))
	}
	return nil
}

func (p Place) validate() error {
	switch {
	case p.Name == "" || len(p.Name) > 64:
		return fmt.Errorf("verify: a place needs a name of 1 to 64 bytes")
	case !validLatLon(p.Lat, p.Lon):
		return fmt.Errorf("verify: place %q: latitude or longitude out of range", p.Name)
	case !finite(p.RadiusMeters) || p.RadiusMeters <= 0 || p.RadiusMeters > maxPlaceRadius:
		return fmt.Errorf("verify: place %q: radius must be in (0, %.0f] meters", p.Name, maxPlaceRadius)
	}
	return nil
}

// prepare validates r and unwraps its longitudes: each vertex's longitude
// is moved by ±360° so that it lies within 180° of the previous one. The
// closing edge must then also be short, which fails for a polygon that
// circles a pole.
func (r Region) prepare() (region, error) {
	switch {
	case r.Name == "" || len(r.Name) > 64:
		return region{}, fmt.Errorf("verify: a region needs a name of 1 to 64 bytes")
	case len(r.Polygon) < 3 || len(r.Polygon) > maxRegionVertices:
		return region{}, fmt.Errorf("verify: region %q needs 3 to %d vertices", r.Name, maxRegionVertices)
	}
	pts := make([]LatLon, len(r.Polygon))
	for i, p := range r.Polygon {
		if !validLatLon(p.Lat, p.Lon) {
			return region{}, fmt.Errorf("verify: region %q: vertex %d out of range", r.Name, i)
		}
		pts[i] = p
		if i > 0 {
			prev := pts[i-1].Lon
			for pts[i].Lon-prev > 180 {
				pts[i].Lon -= 360
			}
			for prev-pts[i].Lon > 180 {
				pts[i].Lon += 360
			}
			if math.Abs(pts[i].Lon-prev) == 180 {
				return region{}, fmt.Errorf("verify: region %q: edge %d spans exactly 180° of longitude", r.Name, i)
			}
		}
	}
	if d := math.Abs(pts[len(pts)-1].Lon - pts[0].Lon); d >= 180 {
		return region{}, fmt.Errorf("verify: region %q encloses a pole or its closing edge spans 180° or more", r.Name)
	}
	return region{name: r.Name, pts: pts}, nil
}

// contains reports whether (lat, lon) is inside the region, by ray casting
// on the unwrapped polygon, trying lon and its ±360° twins.
func (r region) contains(lat, lon float64) bool {
	for _, l := range [...]float64{lon, lon - 360, lon + 360} {
		if pointInPolygon(r.pts, lat, l) {
			return true
		}
	}
	return false
}

// pointInPolygon is the even-odd ray casting test (W. R. Franklin's PNPOLY)
// with x = longitude, y = latitude.
func pointInPolygon(pts []LatLon, lat, lon float64) bool {
	in := false
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		a, b := pts[i], pts[j]
		if (a.Lat > lat) != (b.Lat > lat) && lon < (b.Lon-a.Lon)*(lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// distanceMeters is the haversine great-circle distance.
func distanceMeters(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin(dLon/2), 2)
	return 2 * EarthRadiusMeters * math.Asin(math.Sqrt(math.Min(1, h)))
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func validLatLon(lat, lon float64) bool {
	return finite(lat) && finite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}
