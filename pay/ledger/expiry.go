package ledger

// expiry is an entry of MemStore's pending-expiry index.
type expiry struct {
	deadline int64 // Unix nanoseconds
	id       string
}

// expiryHeap is a min-heap of expiries by deadline, so that finding nothing
// due costs one comparison. (container/heap would box every entry in an
// interface.)
type expiryHeap []expiry

func (h *expiryHeap) push(e expiry) {
	*h = append(*h, e)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].deadline <= a[i].deadline {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *expiryHeap) pop() expiry {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = expiry{}
	a = a[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a[r].deadline < a[l].deadline {
			m = r
		}
		if a[i].deadline <= a[m].deadline {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
